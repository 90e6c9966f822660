package io.adapterplatform.training.worker;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * Where one job's wall time went on the worker that finished it, phase by phase: what the training
 * bench prints to show the service's per-job overhead beside the time in training steps. Phases of
 * jobs fused together overlap (a fused step counts in {@link Phase#STEPS} of each of its jobs).
 *
 * @param claimedAt when this worker claimed the job (its last attempt)
 * @param phases the time spent in each phase, summed over the job's life on this worker
 */
public record JobTimings(Instant claimedAt, Map<Phase, Duration> phases) {

  public JobTimings {
    phases = Collections.unmodifiableMap(new EnumMap<>(phases));
  }

  /** The time in {@code phase}; zero when the job never went through it. */
  public Duration of(Phase phase) {
    return phases.getOrDefault(phase, Duration.ZERO);
  }

  /** The phases of a job's life on a worker, in the order they come. */
  public enum Phase {
    /** The claim's transaction (shared by the jobs claimed together). */
    CLAIM,
    /** Downloading, verifying and loading the base model (only when it was not loaded). */
    MODEL_LOAD,
    /** Reading and tokenizing the datasets. */
    PLAN,
    /** Building the job in the engine and looking for a checkpoint to resume from. */
    START,
    /** From admission to the first step, less {@link #START}: the fuse window, other work. */
    WAIT,
    /** Fused training steps the job took part in. */
    STEPS,
    /** Writing the per-step progress, metric and event rows, beside the next steps. */
    STEP_REPORTS,
    /** Periodic checkpoints: serialising them, on the stepping thread. */
    CHECKPOINT,
    /** Uploading and recording the checkpoints, beside the next steps. */
    CHECKPOINT_STORE,
    /** Eval losses on the held-out examples. */
    EVAL,
    /** Writing the finished adapter's files. */
    EXPORT,
    /** From the export to the start of its publication (the publisher's queue). */
    PUBLISH_WAIT,
    /** Publishing the version to the registry and recording it on the job row. */
    PUBLISH,
    /** Moving the alias. */
    ALIAS,
    /** SUCCEEDED and deleting the checkpoints. */
    FINISH
  }
}
