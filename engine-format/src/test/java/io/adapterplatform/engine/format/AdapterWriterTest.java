package io.adapterplatform.engine.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdapterWriterTest {

  @TempDir Path dir;

  private final ModelConfig model = Fixtures.tinyModel();
  private final Random rng = new Random(23);

  @Test
  void writesADoraAdapterThatReadsBackWithTheSameValues() {
    AdapterConfig config =
        AdapterConfig.lora("tiny", 3, 6, List.of("k_proj", "up_proj"), true, true);
    AdapterWriter w = AdapterWriter.of(config, model, DType.F32);
    float[] lastA = null;
    for (int layer = 0; layer < 2; layer++) {
      for (String m : config.targetModules()) {
        ModelConfig.ProjectionShape s = model.projectionShape(m);
        lastA = Fixtures.random(rng, 3L * s.in());
        w.dora(layer, m, lastA, Fixtures.random(rng, 3L * s.out()), Fixtures.random(rng, s.out()));
      }
    }

    w.writeTo(dir);

    try (AdapterDirectory a = AdapterDirectory.open(dir, model)) {
      assertThat(a.config()).isEqualTo(config);
      assertThat(a.layout().kind()).isEqualTo(AdapterKind.DORA);
      assertThat(a.readFloats(a.layout().lora(1, "up_proj").orElseThrow().a())).isEqualTo(lastA);
    }
  }

  @Test
  void writesAMixLoraAdapterInTheReferenceLayoutWithF32Routers() {
    AdapterConfig config =
        AdapterConfig.mixlora("tiny", 2, 4, List.of("o_proj", "down_proj"), 2, 1, 0.02);
    AdapterWriter w = AdapterWriter.of(config, model, DType.BF16);
    for (int layer = 0; layer < 2; layer++) {
      w.router(layer, Fixtures.random(rng, 2 * 16));
      w.lora(layer, "o_proj", Fixtures.random(rng, 2 * 16), Fixtures.random(rng, 16 * 2));
      for (int e = 0; e < 2; e++) {
        w.expert(layer, e, "down_proj", Fixtures.random(rng, 2 * 24), Fixtures.random(rng, 16 * 2));
      }
    }

    w.writeTo(dir);

    try (AdapterDirectory a = AdapterDirectory.open(dir, model)) {
      assertThat(a.layout().experts()).hasSize(2);
      assertThat(a.layout().router(0).dtype()).isEqualTo(DType.F32);
      assertThat(a.layout().expertLora(1, 1, "down_proj").orElseThrow().a().dtype())
          .isEqualTo(DType.BF16);
    }
  }

  @Test
  void refusesToWriteAnIncompleteAdapter() {
    AdapterConfig config = AdapterConfig.lora("tiny", 2, 4, List.of("q_proj"), false, false);
    AdapterWriter w =
        AdapterWriter.of(config, model, DType.F16)
            .lora(0, "q_proj", new float[2 * 16], new float[16 * 2]);

    assertThatThrownBy(() -> w.writeTo(dir))
        .isInstanceOf(FormatException.class)
        .hasMessageContaining(
            "missing tensor 'base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight'");
    assertThat(dir.resolve("adapter_config.json")).doesNotExist();
    assertThatThrownBy(() -> w.lora(1, "q_proj", new float[3], new float[32]))
        .hasMessageContaining("needs 32 values, got 3");
    assertThatThrownBy(() -> w.lora(1, "v_proj", new float[32], new float[32]))
        .hasMessageContaining("not in target_modules");
  }
}
