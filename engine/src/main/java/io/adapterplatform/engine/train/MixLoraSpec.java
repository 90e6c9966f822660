package io.adapterplatform.engine.train;

import io.adapterplatform.engine.format.Projection;
import java.util.Set;

/**
 * What a MixLoRA job trains: a router and {@code experts} LoRA experts on the FFN projections of
 * every layer, plus optional plain LoRAs on attention projections.
 *
 * @param experts number of experts N
 * @param topK experts each token uses
 * @param rank rank of every expert (and attention) LoRA
 * @param alpha α (scaling α/r)
 * @param routerInitRange standard deviation of the router's initial weights ({@code
 *     router_init_range})
 * @param auxLossCoef {@code router_aux_loss_coef}
 * @param jitterNoise ε of the training-time input jitter (0: none)
 * @param attentionTargets attention projections with a plain LoRA (may be empty)
 */
public record MixLoraSpec(
    int experts,
    int topK,
    int rank,
    double alpha,
    double routerInitRange,
    float auxLossCoef,
    float jitterNoise,
    Set<Projection> attentionTargets) {

  public MixLoraSpec {
    if (experts <= 0 || topK <= 0 || topK > experts) {
      throw new IllegalArgumentException(
          "MixLoRA needs 0 < top_k <= num_experts, got top_k " + topK + " of " + experts);
    }
    if (rank <= 0) {
      throw new IllegalArgumentException("MixLoRA expert rank must be positive, got " + rank);
    }
    if (jitterNoise < 0 || jitterNoise >= 1) {
      throw new IllegalArgumentException("jitter_noise must be in [0, 1), got " + jitterNoise);
    }
    attentionTargets = Set.copyOf(attentionTargets);
    for (Projection p : attentionTargets) {
      if (p.isFfn()) {
        throw new IllegalArgumentException(
            "MixLoRA attention targets must be attention projections, got " + p.module());
      }
    }
  }

  public double scaling() {
    return alpha / rank;
  }
}
