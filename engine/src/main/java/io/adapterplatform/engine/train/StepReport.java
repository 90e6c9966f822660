package io.adapterplatform.engine.train;

/**
 * What one optimizer step of one job did.
 *
 * @param jobId the job
 * @param step the job's step index (0-based)
 * @param loss the job's causal-LM loss (mean over its completion tokens) before the update
 * @param auxLoss the job's load-balance loss (0 for LoRA/DoRA)
 * @param learningRate the learning rate applied
 * @param gradNorm the job's global gradient norm before clipping
 * @param tokens the job's tokens in this step (its rows)
 */
public record StepReport(
    String jobId,
    int step,
    double loss,
    double auxLoss,
    double learningRate,
    double gradNorm,
    int tokens) {}
