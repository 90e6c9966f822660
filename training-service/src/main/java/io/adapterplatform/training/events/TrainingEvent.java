package io.adapterplatform.training.events;

import io.adapterplatform.events.EventType;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/** The training service's event payloads, carried in the platform's event envelope. */
public sealed interface TrainingEvent
    permits TrainingEvent.JobSubmitted,
        TrainingEvent.JobStateChanged,
        TrainingEvent.JobProgressed,
        TrainingEvent.JobEvaluated,
        TrainingEvent.JobCheckpointed {

  /**
   * The job the event is about; the key on {@code training.events}, so one job's events keep their
   * order.
   */
  String jobId();

  /**
   * A job was accepted, on {@code training.jobs} keyed by {@code baseModel}: the jobs of one base
   * model meet on one worker, which fuses them. {@code spec} is the job's JSON specification.
   */
  @EventType(name = "JOB_SUBMITTED")
  record JobSubmitted(String jobId, String baseModel, String outputAdapter, String spec)
      implements TrainingEvent {}

  /**
   * A job moved from {@code from} (absent when it was just created) to {@code to}, on {@code
   * training.events} keyed by job id, so that one job's transitions keep their order.
   */
  @EventType(name = "JOB_STATE_CHANGED")
  record JobStateChanged(
      String jobId, String baseModel, @Nullable String from, String to, @Nullable String error)
      implements TrainingEvent {}

  /**
   * A running job trained its {@code step}-th of {@code totalSteps} optimizer steps, on {@code
   * training.events} keyed by job id. Throttled: a job's first and last step, and in between at
   * most one per {@code platform.training.progress-event-interval}; {@code eta} as the job's {@code
   * progress} has it.
   */
  @EventType(name = "JOB_PROGRESS")
  record JobProgressed(
      String jobId,
      String baseModel,
      int step,
      int totalSteps,
      double loss,
      double tokensPerSecond,
      @Nullable Instant eta)
      implements TrainingEvent {}

  /** The loss on a job's held-out examples after {@code step} steps (an eval point). */
  @EventType(name = "JOB_EVALUATED")
  record JobEvaluated(String jobId, String baseModel, int step, double evalLoss)
      implements TrainingEvent {}

  /** A checkpoint of a job after {@code step} steps is in the object store. */
  @EventType(name = "JOB_CHECKPOINTED")
  record JobCheckpointed(String jobId, String baseModel, int step, String sha256, long size)
      implements TrainingEvent {}
}
