package io.adapterplatform.engine.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random model shapes, adapter kinds, ranks, targets and dtypes: whatever is written reads back
 * equal.
 */
class RandomAdapterRoundTripTest {

  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void writtenAdaptersValidateAndReadBackTheirValues(long seed) {
    Random rng = new Random(seed);
    int kvHeads = 1 + rng.nextInt(3);
    int heads = kvHeads * (1 + rng.nextInt(3));
    int headDim = 2 * (1 + rng.nextInt(4));
    ModelConfig model =
        new ModelConfig(
            "llama",
            List.of(),
            4 + rng.nextInt(20),
            4 + rng.nextInt(30),
            1 + rng.nextInt(3),
            heads,
            kvHeads,
            headDim,
            1e-6,
            1e4,
            rng.nextBoolean(),
            16,
            32);
    List<String> targets = new ArrayList<>();
    for (String m : Projection.modules()) {
      if (rng.nextBoolean()) {
        targets.add(m);
      }
    }
    if (targets.stream()
        .noneMatch(m -> Projection.of(m).orElseThrow().block() == Projection.Block.MLP)) {
      targets.add("up_proj");
    }
    AdapterKind kind = AdapterKind.values()[rng.nextInt(3)];
    int r = 1 + rng.nextInt(6);
    int experts = 1 + rng.nextInt(4);
    AdapterConfig config =
        switch (kind) {
          case LORA ->
              AdapterConfig.lora("m", r, 1 + rng.nextInt(32), targets, rng.nextBoolean(), false);
          case DORA -> AdapterConfig.lora("m", r, 1 + rng.nextInt(32), targets, false, true);
          case MIXLORA ->
              AdapterConfig.mixlora(
                  "m", r, 2 * r, targets, experts, 1 + rng.nextInt(experts), 0.02);
        };
    DType dtype = DType.values()[rng.nextInt(3)];
    AdapterWriter w = AdapterWriter.of(config, model, dtype);
    List<float[]> firstA = new ArrayList<>();
    for (int layer = 0; layer < model.numHiddenLayers(); layer++) {
      if (kind == AdapterKind.MIXLORA) {
        w.router(layer, Fixtures.random(rng, (long) experts * model.hiddenSize()));
      }
      for (String m : targets) {
        ModelConfig.ProjectionShape s = model.projectionShape(m);
        float[] a = Fixtures.random(rng, (long) r * s.in());
        float[] b = Fixtures.random(rng, (long) s.out() * r);
        if (kind == AdapterKind.DORA) {
          w.dora(layer, m, a, b, Fixtures.random(rng, s.out()));
        } else if (kind == AdapterKind.LORA || model.isAttention(m)) {
          w.lora(layer, m, a, b);
        } else {
          for (int e = 0; e < experts; e++) {
            w.expert(
                layer,
                e,
                m,
                e == 0 ? a : Fixtures.random(rng, (long) r * s.in()),
                Fixtures.random(rng, (long) s.out() * r));
          }
        }
        if (layer == 0) {
          firstA.add(a);
        }
      }
    }

    w.writeTo(dir);

    try (AdapterDirectory d = AdapterDirectory.open(dir, model)) {
      assertThat(d.config()).isEqualTo(config);
      assertThat(d.layout().kind()).isEqualTo(kind);
      for (int i = 0; i < targets.size(); i++) {
        String m = targets.get(i);
        TensorInfo a =
            kind == AdapterKind.MIXLORA && !model.isAttention(m)
                ? d.layout().expertLora(0, 0, m).orElseThrow().a()
                : d.layout().lora(0, m).orElseThrow().a();
        float[] expected = firstA.get(i).clone();
        for (int k = 0; k < expected.length; k++) {
          expected[k] =
              switch (dtype) {
                case F32 -> expected[k];
                case F16 -> FloatConversions.f16ToFloat(FloatConversions.floatToF16(expected[k]));
                case BF16 ->
                    FloatConversions.bf16ToFloat(FloatConversions.floatToBf16(expected[k]));
              };
        }
        assertThat(d.readFloats(a)).as("%s %s", kind, m).isEqualTo(expected);
      }
      if (kind == AdapterKind.MIXLORA) {
        assertThat(d.layout().experts()).hasSize(experts);
        assertThat(
                MixLoraSplitter.expert(
                        d.config(), d.layout(), TensorSource.of(d.weights()), experts - 1)
                    .header()
                    .tensors())
            .hasSize(2 * model.numHiddenLayers() * d.config().ffnTargets().size());
        assertThat(
                MixLoraSplitter.attention(d.config(), d.layout(), TensorSource.of(d.weights()))
                    .isPresent())
            .isEqualTo(!d.config().attentionTargets().isEmpty());
      }
    }
  }
}
