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
 * @param dropout PEFT's {@code lora_dropout}: during training each element of the LoRA's input is
 *     zeroed with this probability and the rest scaled by 1/(1 − p), before A (the base product
 *     sees the undropped input); 0 turns it off
 */
public record LoraSpec(
    int rank, double alpha, boolean rsLora, boolean dora, Set<Projection> targets, double dropout) {

  /** Without dropout. */
  public LoraSpec(int rank, double alpha, boolean rsLora, boolean dora, Set<Projection> targets) {
    this(rank, alpha, rsLora, dora, targets, 0.0);
  }

  public LoraSpec {
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + dropout);
    }
    if (rank <= 0) {
      throw new IllegalArgumentException("LoRA rank must be positive, got " + rank);
    }
    if (targets == null || targets.isEmpty()) {
      throw new IllegalArgumentException("LoRA needs at least one target projection");
    }
    targets = Set.copyOf(targets);
  }

  /** This spec with dropout probability {@code p}. */
  public LoraSpec withDropout(double p) {
    return new LoraSpec(rank, alpha, rsLora, dora, targets, p);
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
