package io.adapterplatform.engine.format;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Passes the data section of a safetensors file through (e.g. from an upload to object storage)
 * while counting its bytes and finding non-finite values (NaN, ±infinity) in each tensor, so that a
 * service can check the weights in the same single pass that stores them, without buffering. Wrap
 * the stream that follows {@link SafetensorsHeader#read}, consume it to its end, then call {@link
 * #verify()}.
 */
public final class SafetensorsDataVerifier extends FilterInputStream {

  private final SafetensorsHeader header;
  private final List<TensorInfo> tensors;
  private final long[] nonFinite;
  private long position;
  private int current;

  /** Bytes of an element split across two reads, little-endian, and how many of them we hold. */
  private int carry;

  private int carried;

  /** Wraps {@code data}, the bytes right after the header described by {@code header}. */
  public SafetensorsDataVerifier(InputStream data, SafetensorsHeader header) {
    super(data);
    this.header = header;
    this.tensors = header.tensors();
    this.nonFinite = new long[tensors.size()];
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    if (b >= 0) {
      scan(new byte[] {(byte) b}, 0, 1);
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = super.read(b, off, len);
    if (n > 0) {
      scan(b, off, n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    // Skipped bytes would go unchecked: read them instead.
    byte[] buffer = new byte[(int) Math.min(Math.max(n, 0), 8192)];
    long skipped = 0;
    while (skipped < n) {
      int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
      if (r < 0) {
        break;
      }
      skipped += r;
    }
    return skipped;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  private void scan(byte[] b, int off, int len) {
    int i = off;
    int end = off + len;
    while (i < end) {
      while (current < tensors.size() && position >= tensors.get(current).end()) {
        current++; // also steps over empty tensors
      }
      if (current == tensors.size()) {
        position += end - i; // trailing bytes: counted, reported by verify()
        return;
      }
      TensorInfo t = tensors.get(current);
      int size = t.dtype().byteSize();
      int chunk = (int) Math.min(end - i, t.end() - position);
      int j = i;
      int stop = i + chunk;
      // Finish an element begun in an earlier read.
      while (carried > 0 && j < stop) {
        carry |= (b[j++] & 0xFF) << (8 * carried);
        if (++carried == size) {
          check(t.dtype(), carry);
          carry = 0;
          carried = 0;
        }
      }
      int whole = (stop - j) / size * size;
      ByteBuffer bb = ByteBuffer.wrap(b, j, whole).order(ByteOrder.LITTLE_ENDIAN);
      if (size == 4) {
        for (int k = 0; k < whole; k += 4) {
          check(t.dtype(), bb.getInt());
        }
      } else {
        for (int k = 0; k < whole; k += 2) {
          check(t.dtype(), bb.getShort() & 0xFFFF);
        }
      }
      j += whole;
      while (j < stop) {
        carry |= (b[j++] & 0xFF) << (8 * carried);
        carried++;
      }
      position += chunk;
      i = stop;
    }
  }

  private void check(DType dtype, int bits) {
    boolean finite =
        switch (dtype) {
          case F32 -> (bits & 0x7F800000) != 0x7F800000;
          case F16 -> (bits & 0x7C00) != 0x7C00;
          case BF16 -> (bits & 0x7F80) != 0x7F80;
        };
    if (!finite) {
      nonFinite[current]++;
    }
  }

  /** Bytes of the data section seen so far. */
  public long bytesRead() {
    return position;
  }

  /**
   * Checks, after the stream was read to its end, that the file had exactly the size its header
   * implies (MALFORMED otherwise) and that every tensor is finite (INCONSISTENT, listing each
   * tensor with its count of NaN/infinite values).
   */
  public void verify() {
    header.checkFileSize(header.headerLength() + position);
    Problems p = new Problems(header.fileName());
    for (int t = 0; t < nonFinite.length; t++) {
      if (nonFinite[t] > 0) {
        p.inconsistent(
            "tensor '"
                + tensors.get(t).name()
                + "' has "
                + nonFinite[t]
                + " non-finite values (NaN or infinity)");
      }
    }
    p.throwIfAny();
  }
}
