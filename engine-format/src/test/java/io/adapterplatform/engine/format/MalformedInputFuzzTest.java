package io.adapterplatform.engine.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Whatever bytes arrive, the parsers answer with a {@link FormatException} (a client error) and
 * never with another exception, which a service would turn into a 500.
 */
class MalformedInputFuzzTest {

  private static byte[] mutate(byte[] good, Random rng, int limit) {
    byte[] b = good.clone();
    int edits = 1 + rng.nextInt(4);
    for (int i = 0; i < edits; i++) {
      int at = rng.nextInt(Math.min(limit, b.length));
      switch (rng.nextInt(4)) {
        case 0 -> b[at] = (byte) rng.nextInt(256);
        case 1 -> b[at] = (byte) "{}[]\",:0123456789-.eE \\u".charAt(rng.nextInt(24));
        case 2 -> b = Arrays.copyOf(b, at);
        default -> {
          byte[] longer = new byte[b.length + 1];
          System.arraycopy(b, 0, longer, 0, at);
          longer[at] = (byte) rng.nextInt(128);
          System.arraycopy(b, at, longer, at + 1, b.length - at);
          b = longer;
        }
      }
      if (b.length == 0) {
        break;
      }
    }
    return b;
  }

  private static void onlyFormatExceptions(byte[] good, int limit, Consumer<byte[]> parse) {
    Random rng = new Random(99);
    int rejected = 0;
    for (int i = 0; i < 3000; i++) {
      byte[] bad = mutate(good, rng, limit);
      try {
        parse.accept(bad);
      } catch (FormatException expected) {
        rejected++;
        assertThat(expected.getMessage()).isNotBlank();
      } catch (RuntimeException | StackOverflowError e) {
        throw new AssertionError(
            "input " + new String(bad, StandardCharsets.ISO_8859_1) + " threw " + e, e);
      }
    }
    assertThat(rejected).isGreaterThan(1000);
  }

  @Test
  void safetensorsHeaderMutations() {
    byte[] good =
        new SafetensorsWriter()
            .metadata("format", "pt")
            .addFloats("a.weight", DType.F32, new long[] {2, 3}, new float[6])
            .addFloats("b", DType.BF16, new long[] {4}, new float[4])
            .addFloats("c", DType.F16, new long[] {1, 1, 2}, new float[2])
            .toByteArray();
    int headerEnd = (int) Fixtures.header(good).headerLength();

    onlyFormatExceptions(
        good, headerEnd + 4, bad -> Fixtures.header(bad).checkFileSize(bad.length));
  }

  @Test
  void configMutations() {
    byte[] adapter =
        AdapterConfig.mixlora("m", 4, 8, List.of("q_proj", "up_proj"), 4, 2, 0.02).toJson();
    byte[] model = Fixtures.tinyModel().toJson();

    onlyFormatExceptions(
        adapter, adapter.length, bad -> AdapterConfig.parse(bad, "adapter_config.json"));
    onlyFormatExceptions(model, model.length, bad -> ModelConfig.parse(bad, "config.json"));
    byte[] index =
        "{\"metadata\":{\"total_size\":8},\"weight_map\":{\"a\":\"x.safetensors\"}}"
            .getBytes(StandardCharsets.UTF_8);
    onlyFormatExceptions(index, index.length, bad -> ModelWeightsIndex.parse(bad, "index.json"));
  }

  @Test
  void deepNestingAndHugeNumbersAreRejectedQuickly() {
    String deep = "{\"a\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
    String longNumber =
        "{\"x\":{\"dtype\":\"F32\",\"shape\":["
            + "9".repeat(1_000_000)
            + "],\"data_offsets\":[0,4]}}";

    assertThatThrownBy(() -> Fixtures.header(deep)).isInstanceOf(FormatException.class);
    assertThatThrownBy(() -> Fixtures.header(longNumber))
        .isInstanceOf(FormatException.class)
        .hasMessageStartingWith("t.safetensors: invalid JSON at line 1 column 30 path $.x.shape[0]")
        .hasMessageNotContaining("LENIENT")
        .hasMessageNotContaining("https://");
  }
}
