package io.adapterplatform.training.job;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which steps of a job go to Kafka as {@code JOB_PROGRESS}: its first and last, and in between at
 * most one per {@code interval}, so that a job of thousands of quick steps does not flood {@code
 * training.events}; every step still reaches the job row, its metric row and the SSE stream. The
 * memory is this worker's: a job taken over by another worker reports at its next step.
 */
final class ProgressThrottle {

  /** Beyond this many remembered jobs, those whose interval has passed are forgotten. */
  private static final int PRUNE_ABOVE = 1024;

  private final Duration interval;
  private final Map<UUID, Instant> lastSent = new ConcurrentHashMap<>();

  ProgressThrottle(Duration interval) {
    this.interval = interval;
  }

  /** Whether {@code step} of {@code job}, reported at {@code now}, is published. */
  boolean due(UUID job, int step, int totalSteps, Instant now) {
    Instant last = lastSent.get(job);
    boolean finalStep = step >= totalSteps;
    if (!(step <= 1 || finalStep || last == null || passed(last, now))) {
      return false;
    }
    if (finalStep) {
      lastSent.remove(job);
    } else {
      lastSent.put(job, now);
    }
    if (lastSent.size() > PRUNE_ABOVE) {
      // Forgetting a job whose interval has passed changes nothing: its next step is due anyway.
      lastSent.values().removeIf(sent -> passed(sent, now));
    }
    return true;
  }

  private boolean passed(Instant sent, Instant now) {
    return !now.isBefore(sent.plus(interval));
  }
}
