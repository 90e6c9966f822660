package io.adapterplatform.training.job;

import java.time.Instant;
import java.util.List;

/** What a worker records while it trains: the loss curve and the checkpoints. */
final class JobCurves {

  private JobCurves() {}

  /** One training step. */
  record StepPoint(
      int step,
      double loss,
      double auxLoss,
      double learningRate,
      double gradNorm,
      double tokensPerSecond) {}

  /** One evaluation on the eval split or dataset. */
  record EvalPoint(int step, double evalLoss) {}

  /** {@code GET /jobs/{id}/metrics}. */
  record LossCurve(String jobId, List<StepPoint> steps, List<EvalPoint> evals) {}

  /** A checkpoint in the object store: everything needed to go on from {@code step}. */
  record Checkpoint(int step, String sha256, long size, Instant createdAt) {}

  /** {@code GET /jobs/{id}/checkpoints}. */
  record CheckpointList(String jobId, List<Checkpoint> items) {}
}
