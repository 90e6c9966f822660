package io.adapterplatform.engine.format;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A safetensors file opened for reading tensor data: the header is validated (including the exact
 * file size) at {@link #open(Path)}, the file is memory-mapped (any size: no 2 GiB limit), and
 * tensors are read by name. Close it to unmap; buffers returned by {@link #readRaw(String)} are
 * invalid afterwards: Java access then fails cleanly, but native code that kept the address (a
 * tensor library wrapping the buffer without copying) would read unmapped memory and crash the JVM,
 * so copy (e.g. {@link #readFloats}) what must outlive the file.
 */
public final class SafetensorsFile implements AutoCloseable {

  private final Path path;
  private final SafetensorsHeader header;
  private final Arena arena;
  private final MemorySegment data;

  private SafetensorsFile(Path path, SafetensorsHeader header, Arena arena, MemorySegment data) {
    this.path = path;
    this.header = header;
    this.arena = arena;
    this.data = data;
  }

  /**
   * Opens and validates a safetensors file.
   *
   * @throws FormatException if the header is invalid or the file size disagrees with it
   * @throws UncheckedIOException if the file cannot be read
   */
  public static SafetensorsFile open(Path path) {
    String name = path.getFileName().toString();
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      SafetensorsHeader header;
      // The channel stream is not closed here: closing it would close the channel we still map
      // from.
      InputStream in = Channels.newInputStream(ch);
      header = SafetensorsHeader.read(in, name);
      header.checkFileSize(size);
      Arena arena = Arena.ofShared();
      try {
        MemorySegment data =
            ch.map(
                FileChannel.MapMode.READ_ONLY, header.headerLength(), header.dataLength(), arena);
        return new SafetensorsFile(path, header, arena, data);
      } catch (IOException | RuntimeException e) {
        arena.close();
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    }
  }

  /** The path this file was opened from. */
  public Path path() {
    return path;
  }

  /** The validated header. */
  public SafetensorsHeader header() {
    return header;
  }

  /** The tensor's bytes, little-endian, as a read-only buffer over the mapping (no copy). */
  public ByteBuffer readRaw(String name) {
    TensorInfo t = header.require(name);
    if (t.byteLength() > Integer.MAX_VALUE) {
      throw new FormatException(
          FormatException.Reason.TOO_LARGE,
          header.fileName(),
          "tensor '" + name + "' is " + t.byteLength() + " bytes, too large for one buffer");
    }
    return data.asSlice(t.begin(), t.byteLength())
        .asByteBuffer()
        .asReadOnlyBuffer()
        .order(ByteOrder.LITTLE_ENDIAN);
  }

  /** The tensor's bytes copied to a heap array. */
  public byte[] readBytes(String name) {
    ByteBuffer b = readRaw(name);
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  /**
   * The tensor's values widened to F32, row-major; a NaN or infinity among them is a
   * FormatException.
   */
  public float[] readFloats(String name) {
    TensorInfo t = header.require(name);
    if (t.elementCount() > Integer.MAX_VALUE - 8) {
      throw new FormatException(
          FormatException.Reason.TOO_LARGE,
          header.fileName(),
          "tensor '"
              + name
              + "' has "
              + t.elementCount()
              + " elements, too many for one float array");
    }
    float[] values = FloatConversions.decode(readRaw(name), t.dtype(), (int) t.elementCount());
    // A NaN or infinity in a weight poisons every logit downstream; refuse it here, naming the
    // tensor,
    // rather than let a CLI print NaN or a server serve garbage (the registry refuses them at
    // upload).
    int nonFinite = 0;
    for (float v : values) {
      if (!Float.isFinite(v)) {
        nonFinite++;
      }
    }
    if (nonFinite > 0) {
      throw new FormatException(
          FormatException.Reason.INCONSISTENT,
          header.fileName(),
          "tensor '" + name + "' has " + nonFinite + " non-finite values (NaN or infinity)");
    }
    return values;
  }

  @Override
  public void close() {
    arena.close();
  }

  @Override
  public String toString() {
    return path.toString();
  }
}
