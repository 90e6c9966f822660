package io.adapterplatform.registry.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Reads its source on a second thread, at most {@code CHUNKS} chunks of {@code CHUNK} bytes ahead
 * of the consumer. The S3 client reads one part, then sends it and waits for the answer before it
 * reads the next; without this the upload's own pass (socket, multipart parse, sha256, safetensors
 * scan) and the part uploads take turns instead of overlapping (JFR: one idle core half the time).
 * Heap: at most {@code CHUNKS + 2} chunks (≈ 8.5 MiB). {@link #close()} waits for the reader
 * thread, so once it returns nothing reads the source any more and everything the source computed
 * (digests, counts) is visible.
 */
final class ReadAheadInputStream extends InputStream {

  /**
   * Below G1's humongous threshold even with 1 MiB regions (small heaps), so chunks stay cheap
   * young objects.
   */
  static final int CHUNK = 256 * 1024;

  static final int CHUNKS = 32;
  private static final byte[] END = new byte[0];

  private final InputStream source;
  private final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(CHUNKS);
  private final Thread reader;
  private volatile IOException failure;
  private volatile boolean closed;
  private byte[] chunk;
  private int pos;
  private boolean ended;

  ReadAheadInputStream(InputStream source) {
    this.source = source;
    this.reader = Thread.ofVirtual().name("upload-read-ahead").start(this::pump);
  }

  private void pump() {
    try {
      while (!closed) {
        byte[] b = source.readNBytes(CHUNK);
        if (b.length > 0 && !offer(b)) {
          return;
        }
        if (b.length < CHUNK) {
          break;
        }
      }
    } catch (IOException e) {
      failure = e;
    } catch (RuntimeException e) {
      failure = new IOException(e);
    }
    offer(END);
  }

  /** Queues a chunk; false when the consumer has gone. */
  private boolean offer(byte[] b) {
    try {
      while (!closed) {
        if (queue.offer(b, 100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
          return true;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return false;
  }

  private boolean advance() throws IOException {
    if (ended) {
      return false;
    }
    while (chunk == null || pos == chunk.length) {
      try {
        chunk = queue.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for upload bytes");
      }
      pos = 0;
      if (chunk == END) {
        ended = true;
        chunk = null;
        if (failure != null) {
          throw failure;
        }
        return false;
      }
    }
    return true;
  }

  @Override
  public int read() throws IOException {
    return advance() ? chunk[pos++] & 0xFF : -1;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    if (!advance()) {
      if (failure != null) {
        throw failure;
      }
      return -1;
    }
    int n = Math.min(len, chunk.length - pos);
    System.arraycopy(chunk, pos, b, off, n);
    pos += n;
    return n;
  }

  @Override
  public int available() {
    return chunk == null ? 0 : chunk.length - pos;
  }

  /** Stops the reader (if the consumer gave up early) and waits for it to end. */
  @Override
  public void close() throws IOException {
    closed = true;
    queue.clear();
    try {
      reader.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while stopping the upload reader");
    }
    queue.clear();
    chunk = null;
  }
}
