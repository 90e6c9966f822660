package io.adapterplatform.registry.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HashingInputStreamTest {

  private static final int CHUNK = ChunkDigests.CHUNK_SIZE;

  @Test
  void digestsEveryChunkWhateverTheReadSizes() throws Exception {
    byte[] bytes = new byte[2 * CHUNK + CHUNK / 2 + 3];
    new Random(7).nextBytes(bytes);
    var in = new HashingInputStream(new ByteArrayInputStream(bytes));
    var random = new Random(11);
    byte[] buf = new byte[CHUNK + 5];
    // Mixed single-byte and bulk reads of odd sizes, some crossing a chunk boundary in one read.
    while (true) {
      int n =
          random.nextInt(4) == 0
              ? (in.read() < 0 ? -1 : 1)
              : in.read(buf, 0, 1 + random.nextInt(buf.length));
      if (n < 0) {
        break;
      }
    }

    var chunks = in.chunkDigests();

    assertThat(in.count()).isEqualTo(bytes.length);
    assertThat(in.sha256()).isEqualTo(HexFormat.of().formatHex(sha256(bytes)));
    assertThat(chunks.chunkSize()).isEqualTo(CHUNK);
    var expected = new ByteArrayOutputStream();
    for (int at = 0; at < bytes.length; at += CHUNK) {
      expected.writeBytes(
          sha256(Arrays.copyOfRange(bytes, at, Math.min(bytes.length, at + CHUNK))));
    }
    assertThat(chunks.digests()).isEqualTo(expected.toByteArray());
    assertThat(chunks.matches(2, sha256(Arrays.copyOfRange(bytes, 2 * CHUNK, bytes.length))))
        .isTrue();
    assertThat(chunks.matches(1, sha256(Arrays.copyOfRange(bytes, 2 * CHUNK, bytes.length))))
        .isFalse();
    assertThat(chunks.matches(3, new byte[32])).isFalse();
  }

  @Test
  void anEmptyStreamHasNoChunks() throws Exception {
    var in = new HashingInputStream(new ByteArrayInputStream(new byte[0]));
    assertThat(in.read()).isEqualTo(-1);
    assertThat(in.chunkDigests().count()).isZero();
  }

  private static byte[] sha256(byte[] bytes) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(bytes);
  }
}
