package io.adapterplatform.registry.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ReadAheadInputStreamTest {

  @Test
  void passesEveryByteInOrderWhateverTheReadSizes() throws IOException {
    var random = new Random(7);
    for (int size :
        new int[] {
          0,
          1,
          ReadAheadInputStream.CHUNK - 1,
          ReadAheadInputStream.CHUNK,
          ReadAheadInputStream.CHUNK * 3 + 17,
          5_000_000 + random.nextInt(1000)
        }) {
      byte[] data = new byte[size];
      random.nextBytes(data);
      var out = new ByteArrayOutputStream();
      try (var in = new ReadAheadInputStream(new ByteArrayInputStream(data))) {
        byte[] buf = new byte[1 + random.nextInt(300_000)];
        for (int n; (n = in.read(buf, 0, buf.length)) >= 0; ) {
          out.write(buf, 0, n);
        }
        assertThat(in.read()).isEqualTo(-1);
      }
      assertThat(out.toByteArray()).isEqualTo(data);
    }
  }

  @Test
  void theSourcesFailureReachesTheConsumerAfterTheBytesBeforeIt() throws IOException {
    byte[] before = new byte[ReadAheadInputStream.CHUNK * 2];
    InputStream failing =
        new InputStream() {
          @Override
          public int read() throws IOException {
            throw new IOException("client went away");
          }
        };
    try (var in =
        new ReadAheadInputStream(
            new SequenceInputStream(new ByteArrayInputStream(before), failing))) {
      assertThatThrownBy(in::readAllBytes)
          .isInstanceOf(IOException.class)
          .hasMessage("client went away");
    }
  }

  @Test
  void closingEarlyStopsTheReaderBeforeItReturns() throws IOException {
    var served = new AtomicLong();
    InputStream endless =
        new InputStream() {
          @Override
          public int read() {
            served.incrementAndGet();
            return 1;
          }

          @Override
          public int read(byte[] b, int off, int len) {
            served.addAndGet(len);
            return len;
          }
        };
    var in = new ReadAheadInputStream(endless);
    assertThat(in.read(new byte[10], 0, 10)).isPositive();
    in.close();
    long after = served.get();
    // Nothing reads the source once close() has returned, and the read-ahead stayed bounded.
    assertThat(served.get()).isEqualTo(after);
    assertThat(after)
        .isLessThanOrEqualTo((long) ReadAheadInputStream.CHUNK * (ReadAheadInputStream.CHUNKS + 3));
  }
}
