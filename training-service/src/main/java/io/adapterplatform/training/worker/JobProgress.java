package io.adapterplatform.training.worker;

import java.util.List;

/**
 * What one fused step did for one job.
 *
 * @param jobId the job
 * @param step optimizer steps the job has now taken (1 after its first step)
 * @param totalSteps the job's length in optimizer steps
 * @param loss the job's causal-LM loss in this step (before the update)
 * @param auxLoss its load-balance loss (0 for LoRA/DoRA)
 * @param learningRate the learning rate applied
 * @param gradNorm the global gradient norm before clipping
 * @param tokensPerSecond the job's tokens in this step over the fused step's wall time
 * @param fusedWith ids of the other jobs that shared this step, in the runner's order
 */
public record JobProgress(
    String jobId,
    int step,
    int totalSteps,
    double loss,
    double auxLoss,
    double learningRate,
    double gradNorm,
    double tokensPerSecond,
    List<String> fusedWith) {

  public JobProgress {
    fusedWith = List.copyOf(fusedWith);
  }
}
