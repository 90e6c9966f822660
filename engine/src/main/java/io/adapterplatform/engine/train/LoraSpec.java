package io.adapterplatform.engine.train;

import io.adapterplatform.engine.format.Projection;
import java.util.EnumSet;
import java.util.Set;

/**
 * What a LoRA or DoRA job trains: rank, alpha, the targeted projections (in every layer).
 *
 * @param rank r
 * @param alpha α; the delta is scaled by α/r, or α/√r with {@code rsLora}
 * @param rsLora rank-stabilised scaling
 * @param dora weight-decomposed LoRA (a trainable magnitude per output feature)
 * @param targets the projections that carry an adapter
 */
public record LoraSpec(
    int rank, double alpha, boolean rsLora, boolean dora, Set<Projection> targets) {

  public LoraSpec {
    if (rank <= 0) {
      throw new IllegalArgumentException("LoRA rank must be positive, got " + rank);
    }
    if (targets == null || targets.isEmpty()) {
      throw new IllegalArgumentException("LoRA needs at least one target projection");
    }
    targets = Set.copyOf(targets);
  }

  /** PEFT's scaling: α/r, or α/√r for rsLoRA. */
  public double scaling() {
    return rsLora ? alpha / Math.sqrt(rank) : alpha / rank;
  }

  /** A plain LoRA on q_proj and v_proj (PEFT's default targets for LLaMA). */
  public static LoraSpec qv(int rank, double alpha) {
    return new LoraSpec(rank, alpha, false, false, EnumSet.of(Projection.Q, Projection.V));
  }

  /** A plain LoRA on all seven projections. */
  public static LoraSpec all(int rank, double alpha) {
    return new LoraSpec(rank, alpha, false, false, EnumSet.allOf(Projection.class));
  }
}
