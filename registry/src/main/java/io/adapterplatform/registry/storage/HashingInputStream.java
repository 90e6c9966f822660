package io.adapterplatform.registry.storage;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Digests and counts every byte read through it, and remembers the first exception the source threw so
 * that the caller can report it even when a client library wrapped it.
 */
final class HashingInputStream extends FilterInputStream {

  private final MessageDigest digest;
  private long count;
  private IOException failure;

  HashingInputStream(InputStream in) {
    super(in);
    try {
      this.digest = MessageDigest.getInstance("SHA-256");
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
      digest.update(buf, off, n);
      count += n;
    }
    return n;
  }

  @Override
  public int available() throws IOException {
    try {
      return super.available();
    } catch (IOException e) {
      failure = failure == null ? e : failure; // fileupload2 reports its size limit from available() too
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
