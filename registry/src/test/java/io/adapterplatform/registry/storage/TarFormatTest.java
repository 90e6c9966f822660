package io.adapterplatform.registry.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TarFormatTest {

  @Test
  void aShortNameAndSmallSizeTakeOneUstarBlock() {
    byte[] h = TarFormat.headers("adapter_config.json", 1234, 1_700_000_000L);

    assertThat(h).hasSize(512);
    assertThat(text(h, 0, 19)).isEqualTo("adapter_config.json");
    assertThat(text(h, 124, 11)).isEqualTo(String.format("%011o", 1234));
    assertThat(text(h, 257, 5)).isEqualTo("ustar");
    assertThat(h[156]).isEqualTo((byte) '0');
    assertThat(TarFormat.entryLength("adapter_config.json", 1234)).isEqualTo(512 + 1536);
  }

  @Test
  void aSizeOverEightGibibytesGoesToAPaxRecordWithItsOwnLengthCounted() {
    long size = 9L << 30;

    byte[] h = TarFormat.headers("big.safetensors", size, 0);

    assertThat(h[156]).isEqualTo((byte) 'x');
    String record = text(h, 512, 512).replace("\0", "");
    assertThat(record).isEqualTo((record.length()) + " size=" + size + "\n");
    assertThat(h).hasSize(3 * 512);
    assertThat(text(h, 1024 + 124, 11)).isEqualTo("00000000000");
  }

  @Test
  void aLongNameGoesToAPaxPathRecord() {
    String name = "n".repeat(150);

    byte[] h = TarFormat.headers(name, 1, 0);

    String record = text(h, 512, 512).replace("\0", "");
    assertThat(record).isEqualTo(record.length() + " path=" + name + "\n");
  }

  private static String text(byte[] b, int from, int length) {
    return new String(b, from, length, StandardCharsets.UTF_8);
  }
}
