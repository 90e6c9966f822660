package io.adapterplatform.local.bench;

import io.adapterplatform.engine.adapter.AdapterCheckpoint;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.adapter.Lora;
import io.adapterplatform.engine.adapter.LoraPair;
import io.adapterplatform.engine.adapter.MixLora;
import io.adapterplatform.engine.adapter.ModuleKey;
import io.adapterplatform.engine.format.AdapterConfig;
import io.adapterplatform.engine.format.DType;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.model.ModelDims;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Random adapters of the serving bench in the real formats (PEFT LoRA, MixLoRA), drawn from a seed
 * so that the bench can rebuild in memory what it published. Stored as F16 to halve the uploads.
 */
final class BenchAdapters {

  static final int EXPERTS = 8;
  static final int TOP_K = 2;
  static final Set<Projection> MIX_ATTENTION = EnumSet.of(Projection.Q, Projection.V);

  private final ModelDims dims;

  BenchAdapters(BenchModel shape) {
    this.dims =
        new ModelDims(
            shape.hidden(),
            shape.intermediate(),
            shape.layers(),
            shape.heads(),
            shape.kvHeads(),
            shape.hidden() / shape.heads(),
            1e-5,
            10000.0,
            false,
            shape.vocab());
  }

  ModelDims dims() {
    return dims;
  }

  /** A LoRA with {@code alpha = 2 rank} on {@code targets} of every layer. */
  Lora lora(int rank, Set<Projection> targets, long seed) {
    var random = new SplittableRandom(seed);
    return new Lora(rank, 2.0, pairs(rank, targets, random));
  }

  /** A MixLoRA of {@link #EXPERTS} experts, top-{@link #TOP_K}, LoRA on q_proj and v_proj. */
  MixLora mixLora(int rank, long seed) {
    var random = new SplittableRandom(seed);
    Map<Integer, float[]> routers = new HashMap<>();
    Map<MixLora.ExpertKey, LoraPair> experts = new HashMap<>();
    for (var layer = 0; layer < dims.numLayers(); layer++) {
      routers.put(
          layer, uniform(random, EXPERTS * dims.hiddenSize(), 2.0 / Math.sqrt(dims.hiddenSize())));
      for (var e = 0; e < EXPERTS; e++) {
        for (var p : List.of(Projection.GATE, Projection.UP, Projection.DOWN)) {
          experts.put(new MixLora.ExpertKey(layer, p, e), pair(p, rank, random));
        }
      }
    }
    return new MixLora(
        rank, 2.0, rank, 2.0, EXPERTS, TOP_K, routers, pairs(rank, MIX_ATTENTION, random), experts);
  }

  /** Writes adapter_config.json and adapter_model.safetensors into {@code dir}. */
  static void write(Path dir, AdapterWeights weights) {
    AdapterConfig config =
        switch (weights) {
          case MixLora m ->
              AdapterConfig.mixlora(
                  null,
                  m.rank(),
                  2.0 * m.rank(),
                  List.of("q_proj", "v_proj", "gate_proj", "up_proj", "down_proj"),
                  m.numExperts(),
                  m.topK(),
                  0.02);
          case Lora l ->
              AdapterConfig.lora(
                  null,
                  l.rank(),
                  2.0 * l.rank(),
                  l.modules().keySet().stream()
                      .map(k -> k.projection())
                      .distinct()
                      .sorted()
                      .map(Projection::module)
                      .toList(),
                  false,
                  false);
          default -> throw new IllegalArgumentException("no DoRA in this bench");
        };
    AdapterCheckpoint.of(config, weights, DType.F16).write(dir);
  }

  private Map<ModuleKey, LoraPair> pairs(
      int rank, Set<Projection> targets, SplittableRandom random) {
    Map<ModuleKey, LoraPair> pairs = new LinkedHashMap<>();
    for (var layer = 0; layer < dims.numLayers(); layer++) {
      for (var p : Projection.values()) {
        if (targets.contains(p)) {
          pairs.put(new ModuleKey(layer, p), pair(p, rank, random));
        }
      }
    }
    return pairs;
  }

  // ‖s · B A x‖ a fraction of ‖W x‖, so that adapters visibly change the logits
  private LoraPair pair(Projection p, int rank, SplittableRandom random) {
    var in = dims.inFeatures(p);
    var out = dims.outFeatures(p);
    return new LoraPair(
        rank,
        in,
        out,
        uniform(random, rank * in, 1.0 / Math.sqrt(in)),
        uniform(random, out * rank, 0.3 / (2.0 * Math.sqrt(rank))));
  }

  private static float[] uniform(SplittableRandom random, int n, double bound) {
    var v = new float[n];
    for (var i = 0; i < n; i++) {
      v[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
    }
    return v;
  }
}
