package io.adapterplatform.serving.batch;

import ai.djl.Device;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.fused.PoolStorage;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.testing.TinyModels;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A tiny random model and eight adapters of every kind, placed in a reserved pool: LoRA/DoRA at
 * places 0 to 4, MixLoRA at 5 to 7 (index {@code i} of {@link #ADAPTERS} goes to place {@code i}).
 */
final class ServingFixture {

  static final ModelDims DIMS = TinyModels.smallDims();
  static final Map<String, float[]> WEIGHTS = TinyModels.randomWeights(DIMS, 17);
  static final BaseModel MODEL =
      BaseModel.fromWeights(DIMS, (n, s) -> WEIGHTS.get(n), Device.cpu());

  static final List<AdapterWeights> ADAPTERS =
      List.of(
          TinyModels.randomLora(
              DIMS, 4, 8, false, EnumSet.of(Projection.Q, Projection.V, Projection.GATE), 1),
          TinyModels.randomLora(DIMS, 8, 16, true, EnumSet.allOf(Projection.class), 2),
          TinyModels.randomLora(DIMS, 2, 4, false, EnumSet.of(Projection.O, Projection.DOWN), 3),
          TinyModels.randomDora(
              DIMS, 4, 8, EnumSet.of(Projection.Q, Projection.UP, Projection.DOWN), 4),
          TinyModels.randomDora(DIMS, 2, 4, EnumSet.of(Projection.K, Projection.V), 5),
          TinyModels.randomMixLora(
              DIMS, 4, 8, 4, 2, EnumSet.of(Projection.Q, Projection.V), Projection.UP, 6),
          TinyModels.randomMixLora(DIMS, 2, 2, 3, 1, EnumSet.noneOf(Projection.class), null, 7),
          TinyModels.randomMixLora(
              DIMS, 8, 16, 2, 1, EnumSet.of(Projection.K, Projection.O), null, 8));

  static final PoolLayout LAYOUT = new PoolLayout(5, 8, 3, 4, 2, PoolStorage.FP32);

  private ServingFixture() {}

  /** Small limits that make requests wait, chunk and share steps. */
  static BatcherSettings settings() {
    return BatcherSettings.defaults()
        .withMaxRows(8)
        .withMaxTokensPerStep(24)
        .withPrefillChunkTokens(16)
        .withSequenceLimits(256, 8L * 256)
        .withQueueCapacity(64)
        .withWarmUpRounds(1);
  }

  /** A batcher whose pool holds every adapter of {@link #ADAPTERS} at its place. */
  static ContinuousBatcher batcher(BatcherSettings settings) {
    ContinuousBatcher b = ContinuousBatcher.start(MODEL, LAYOUT, settings);
    b.betweenSteps(
            pool -> {
              for (int i = 0; i < ADAPTERS.size(); i++) {
                pool.put(i, ADAPTERS.get(i));
              }
            })
        .join();
    return b;
  }

  static AdapterWeights adapterAt(int slot) {
    return slot < 0 ? null : ADAPTERS.get(slot);
  }

  static int[] prompt(int length, long seed) {
    var random = new SplittableRandom(seed);
    int[] p = new int[length];
    for (int i = 0; i < length; i++) {
      p[i] = random.nextInt(DIMS.vocabSize());
    }
    return p;
  }
}
