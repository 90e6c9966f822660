package io.adapterplatform.engine.format;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * Where the bytes of a safetensors file's tensors come from, one tensor at a time: a memory-mapped
 * file, an array, or (in a service) a ranged read of a stored blob at {@code headerLength + begin}.
 */
@FunctionalInterface
public interface TensorSource {

  /** A stream of exactly the tensor's {@code byteLength()} bytes; the caller closes it. */
  InputStream open(TensorInfo tensor) throws IOException;

  /** Tensors of an open file. */
  static TensorSource of(SafetensorsFile file) {
    return t -> new ByteBufferInputStream(file.readRaw(t.name()));
  }

  /** Tensors of a whole safetensors file held in memory, described by {@code header}. */
  static TensorSource of(byte[] wholeFile, SafetensorsHeader header) {
    header.checkFileSize(wholeFile.length);
    return t ->
        new ByteArrayInputStream(
            wholeFile, (int) (header.headerLength() + t.begin()), (int) t.byteLength());
  }

  /** Reads a buffer without copying it first. */
  final class ByteBufferInputStream extends InputStream {
    private final ByteBuffer buffer;

    ByteBufferInputStream(ByteBuffer buffer) {
      this.buffer = buffer.duplicate();
    }

    @Override
    public int read() {
      return buffer.hasRemaining() ? buffer.get() & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      if (!buffer.hasRemaining()) {
        return -1;
      }
      int n = Math.min(len, buffer.remaining());
      buffer.get(b, off, n);
      return n;
    }
  }
}
