package io.adapterplatform.registry.storage;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Digests and counts every byte read through it, also digesting each {@link
 * ChunkDigests#CHUNK_SIZE}-byte chunk on its own in the same pass (no second read; the second
 * digest costs CPU only), and remembers the first exception the source threw so that the caller can
 * report it even when a client library wrapped it.
 */
final class HashingInputStream extends FilterInputStream {

  private final MessageDigest digest;
  private final MessageDigest chunkDigest;
  private final ByteArrayOutputStream chunkDigests = new ByteArrayOutputStream();
  private int inChunk;
  private ChunkDigests chunks;
  private long count;
  private IOException failure;

  HashingInputStream(InputStream in) {
    super(in);
    try {
      this.digest = MessageDigest.getInstance("SHA-256");
      this.chunkDigest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public int read() throws IOException {
    int b;
    try {
      b = super.read();
    } catch (IOException e) {
      failure = failure == null ? e : failure;
      throw e;
    }
    if (b >= 0) {
      digest.update((byte) b);
      count++;
      chunkDigest.update((byte) b);
      if (++inChunk == ChunkDigests.CHUNK_SIZE) {
        chunkDigests.writeBytes(chunkDigest.digest());
        inChunk = 0;
      }
    }
    return b;
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    int n;
    try {
      n = super.read(buf, off, len);
    } catch (IOException e) {
      failure = failure == null ? e : failure;
      throw e;
    }
    if (n > 0) {
      digested(buf, off, n);
    }
    return n;
  }

  @Override
  public int available() throws IOException {
    try {
      return super.available();
    } catch (IOException e) {
      failure =
          failure == null ? e : failure; // fileupload2 reports its size limit from available() too
      throw e;
    }
  }

  @Override
  public long skip(long n) throws IOException {
    // Skipped bytes would escape the digest: read them instead.
    byte[] buf = new byte[8192];
    long done = 0;
    while (done < n) {
      int r = read(buf, 0, (int) Math.min(buf.length, n - done));
      if (r < 0) {
        break;
      }
      done += r;
    }
    return done;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  private void digested(byte[] buf, int off, int len) {
    digest.update(buf, off, len);
    count += len;
    while (len > 0) {
      int take = Math.min(len, ChunkDigests.CHUNK_SIZE - inChunk);
      chunkDigest.update(buf, off, take);
      inChunk += take;
      off += take;
      len -= take;
      if (inChunk == ChunkDigests.CHUNK_SIZE) {
        chunkDigests.writeBytes(chunkDigest.digest());
        inChunk = 0;
      }
    }
  }

  /** The digests of every chunk read, the last one cut short; call once the stream is done. */
  ChunkDigests chunkDigests() {
    if (chunks == null) {
      if (inChunk > 0) {
        chunkDigests.writeBytes(chunkDigest.digest());
        inChunk = 0;
      }
      chunks = new ChunkDigests(ChunkDigests.CHUNK_SIZE, 0, chunkDigests.toByteArray());
    }
    return chunks;
  }

  long count() {
    return count;
  }

  IOException failure() {
    return failure;
  }

  String sha256() {
    return HexFormat.of().formatHex(digest.digest());
  }
}
