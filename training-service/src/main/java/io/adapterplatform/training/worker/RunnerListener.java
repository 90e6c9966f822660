package io.adapterplatform.training.worker;

/**
 * What a {@link FusedRunner} reports, on the thread that calls {@link FusedRunner#runStep()}. The
 * lead's wiring turns these into job-table updates (progress, {@code fusedWith}, status).
 */
public interface RunnerListener {

  /** A job took a step. */
  default void onProgress(JobProgress progress) {}

  /** A job resumed from a stored checkpoint taken after {@code step} steps. */
  default void onResumed(String jobId, int step) {}

  /** The loss on a job's held-out examples after {@code step} steps (every {@code evalEvery}). */
  default void onEval(String jobId, int step, double evalLoss) {}

  /** A checkpoint of a job after {@code step} steps was stored. */
  default void onCheckpoint(String jobId, int step) {}

  /** A job finished and its adapter was exported; it has left the runner. */
  default void onFinished(JobResult result) {}

  /** A cancelled job left the runner: nothing was exported. */
  default void onCancelled(String jobId) {}

  /**
   * {@code nanos} of wall time went into {@code phase} of a job (start, a fused step, a checkpoint,
   * an eval, the export): what {@link JobTimings} adds up.
   */
  default void onPhase(String jobId, JobTimings.Phase phase, long nanos) {}

  /** A job could not be started, stepped, checkpointed or exported; it has left the runner. */
  default void onFailed(String jobId, RuntimeException cause) {}
}
