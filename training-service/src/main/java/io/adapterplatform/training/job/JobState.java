package io.adapterplatform.training.job;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.EnumSet;
import java.util.Set;

/** The states of a job and the moves between them: QUEUED → RUNNING → an end state. */
@Schema(enumAsRef = true)
public enum JobState {
  QUEUED,
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED;

  /** The states a job may be in to move to this one (none: only a new job is QUEUED). */
  public Set<JobState> sources() {
    return switch (this) {
      case QUEUED -> EnumSet.noneOf(JobState.class);
      case RUNNING -> EnumSet.of(QUEUED);
      case SUCCEEDED -> EnumSet.of(RUNNING);
      // Out of attempts before a worker got far enough to say it runs.
      case FAILED -> EnumSet.of(QUEUED, RUNNING);
      case CANCELLED -> EnumSet.of(QUEUED, RUNNING);
    };
  }

  public boolean canMoveTo(JobState next) {
    return next.sources().contains(this);
  }

  public boolean isTerminal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED;
  }
}
