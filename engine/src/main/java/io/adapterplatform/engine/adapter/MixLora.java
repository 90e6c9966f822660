package io.adapterplatform.engine.adapter;

import io.adapterplatform.engine.format.Projection;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A MixLoRA adapter: per layer a router Wg [numExperts, hidden] choosing {@code topK} of {@code
 * numExperts} LoRA experts on the FFN projections (softmax over all experts, top-k, weights
 * renormalised to sum 1), plus optional plain LoRA on attention projections ({@link #modules()}).
 * An expert without a pair on some FFN projection uses the base projection there.
 *
 * @param rank rank of the attention LoRA pairs
 * @param scaling scaling of the attention LoRA pairs
 * @param expertRank rank of the experts' pairs (the reference's {@code expert_lora.r}, usually
 *     {@code rank})
 * @param expertScaling scaling of the experts' pairs
 * @param routers per layer Wg [numExperts, hidden], row-major
 */
public record MixLora(
    int rank,
    double scaling,
    int expertRank,
    double expertScaling,
    int numExperts,
    int topK,
    Map<Integer, float[]> routers,
    Map<ModuleKey, LoraPair> modules,
    Map<ExpertKey, LoraPair> experts)
    implements AdapterWeights {

  /** An expert's pair on one FFN projection of one layer. */
  public record ExpertKey(int layer, Projection projection, int expert)
      implements Comparable<ExpertKey> {
    public ExpertKey {
      if (!projection.isFfn()) {
        throw new IllegalArgumentException(
            "MixLoRA experts live on gate/up/down projections, not " + projection);
      }
    }

    @Override
    public int compareTo(ExpertKey o) {
      int c = Integer.compare(layer, o.layer);
      if (c == 0) {
        c = projection.compareTo(o.projection);
      }
      return c != 0 ? c : Integer.compare(expert, o.expert);
    }
  }

  public MixLora {
    if (numExperts <= 0 || topK <= 0 || topK > numExperts) {
      throw new IllegalArgumentException(
          "MixLoRA needs 0 < top_k <= num_experts, got top_k " + topK + " of " + numExperts);
    }
    routers = Collections.unmodifiableMap(new TreeMap<>(routers));
    modules = Collections.unmodifiableMap(new TreeMap<>(modules));
    experts = Collections.unmodifiableMap(new TreeMap<>(experts));
    Adapters.checkRanks(rank, modules);
    Adapters.checkRanks(expertRank, experts);
    for (var k : modules.keySet()) {
      if (k.projection().isFfn()) {
        throw new IllegalArgumentException(
            "MixLoRA's plain LoRA pairs are on attention only, found " + k);
      }
    }
    for (var k : experts.keySet()) {
      if (k.expert() < 0 || k.expert() >= numExperts) {
        throw new IllegalArgumentException(
            "expert " + k.expert() + " outside [0, " + numExperts + ")");
      }
      if (!routers.containsKey(k.layer())) {
        throw new IllegalArgumentException("layer " + k.layer() + " has experts but no router");
      }
    }
  }

  /** The largest rank of any of its pairs (what a pool pads to). */
  public int maxRank() {
    return Math.max(rank, expertRank);
  }
}
