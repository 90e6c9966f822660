package io.adapterplatform.registry.storage;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Keeps a copy of what a parser reads (the safetensors header) so the same bytes can still be
 * stored.
 */
final class CapturingInputStream extends FilterInputStream {

  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

  CapturingInputStream(InputStream in) {
    super(in);
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    if (b >= 0) {
      captured.write(b);
    }
    return b;
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    int n = super.read(buf, off, len);
    if (n > 0) {
      captured.write(buf, off, n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    return readNBytes((int) Math.min(n, Integer.MAX_VALUE)).length;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  byte[] captured() {
    return captured.toByteArray();
  }
}
