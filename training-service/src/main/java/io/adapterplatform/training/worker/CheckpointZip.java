package io.adapterplatform.training.worker;

import io.adapterplatform.engine.train.JobCheckpoint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A job checkpoint as the zip {@link JobCheckpoint#readFrom} reads, with its two entries stored
 * rather than deflated. The engine's {@link JobCheckpoint#toByteArray()} deflates the tensors:
 * seconds of a core per checkpoint of a rank-16 adapter on all seven projections, for a few percent
 * less of F32 values that hardly compress. Same fixed time stamps, so the same state still gives
 * the same bytes.
 */
final class CheckpointZip {

  private static final LocalDateTime FIXED_TIME = LocalDateTime.of(1980, 1, 1, 0, 0);

  private CheckpointZip() {}

  /** The checkpoint's zip bytes; {@code scratch} holds its two files meanwhile. */
  static byte[] stored(JobCheckpoint checkpoint, Path scratch) {
    Path dir = null;
    try {
      Files.createDirectories(scratch);
      dir = Files.createTempDirectory(scratch, "checkpoint-");
      checkpoint.write(dir);
      var out = new ByteArrayOutputStream();
      try (var zip = new ZipOutputStream(out)) {
        for (String name : List.of(JobCheckpoint.STATE_FILE, JobCheckpoint.TENSORS_FILE)) {
          byte[] bytes = Files.readAllBytes(dir.resolve(name));
          var crc = new CRC32();
          crc.update(bytes);
          var entry = new ZipEntry(name);
          entry.setMethod(ZipEntry.STORED);
          entry.setSize(bytes.length);
          entry.setCompressedSize(bytes.length);
          entry.setCrc(crc.getValue());
          entry.setTimeLocal(FIXED_TIME);
          zip.putNextEntry(entry);
          zip.write(bytes);
          zip.closeEntry();
        }
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a job checkpoint", e);
    } finally {
      if (dir != null) {
        deleteQuietly(dir);
      }
    }
  }

  private static void deleteQuietly(Path dir) {
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // a leftover in the worker's scratch directory does no harm
    }
  }
}
