package io.adapterplatform.training.events;

import io.adapterplatform.events.EventType;
import org.jspecify.annotations.Nullable;

/** The training service's event payloads, carried in the platform's event envelope. */
public sealed interface TrainingEvent
    permits TrainingEvent.JobSubmitted, TrainingEvent.JobStateChanged {

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
}
