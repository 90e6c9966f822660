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
 * @param dropout {@code lora_dropout} of the attention LoRAs and of every expert LoRA (the
 *     reference's expert LoRAs take the adapter's dropout): applied to each LoRA's own input, never
 *     to the router's or the base projections' input; 0 turns it off
 */
public record MixLoraSpec(
    int experts,
    int topK,
    int rank,
    double alpha,
    double routerInitRange,
    float auxLossCoef,
    float jitterNoise,
    Set<Projection> attentionTargets,
    double dropout) {

  /** Without dropout. */
  public MixLoraSpec(
      int experts,
      int topK,
      int rank,
      double alpha,
      double routerInitRange,
      float auxLossCoef,
      float jitterNoise,
      Set<Projection> attentionTargets) {
    this(
        experts,
        topK,
        rank,
        alpha,
        routerInitRange,
        auxLossCoef,
        jitterNoise,
        attentionTargets,
        0.0);
  }

  public MixLoraSpec {
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("MixLoRA dropout must be in [0, 1), got " + dropout);
    }
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

  /** This spec with dropout probability {@code p}. */
  public MixLoraSpec withDropout(double p) {
    return new MixLoraSpec(
        experts, topK, rank, alpha, routerInitRange, auxLossCoef, jitterNoise, attentionTargets, p);
  }

  public double scaling() {
    return alpha / rank;
  }
}
