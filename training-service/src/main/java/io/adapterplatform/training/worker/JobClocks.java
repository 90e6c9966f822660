package io.adapterplatform.training.worker;

import io.adapterplatform.training.worker.JobTimings.Phase;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A worker's {@link JobTimings} in the making: one clock per job it holds, and the timings of the
 * last {@value #KEPT} jobs it finished. Written from the stepping, heartbeat and publishing
 * threads.
 */
final class JobClocks {

  private static final int KEPT = 1000;

  private static final class Clock {
    private final Instant claimedAt;
    private final EnumMap<Phase, Long> nanos = new EnumMap<>(Phase.class);
    private long admittedNanos;
    private boolean stepped;

    Clock(Instant claimedAt) {
      this.claimedAt = claimedAt;
    }

    synchronized void add(Phase phase, long n) {
      nanos.merge(phase, Math.max(0, n), Long::sum);
    }

    synchronized JobTimings snapshot() {
      var phases = new EnumMap<Phase, Duration>(Phase.class);
      nanos.forEach((p, n) -> phases.put(p, Duration.ofNanos(n)));
      return new JobTimings(claimedAt, phases);
    }
  }

  private final Map<UUID, Clock> running = new ConcurrentHashMap<>();
  private final Map<UUID, JobTimings> finished =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, JobTimings> eldest) {
          return size() > KEPT;
        }
      };

  /** A new attempt on this worker: its clock starts afresh. */
  void claimed(UUID job, Instant at, long claimNanos) {
    var clock = new Clock(at);
    clock.add(Phase.CLAIM, claimNanos);
    running.put(job, clock);
  }

  void add(UUID job, Phase phase, long nanos) {
    var clock = running.get(job);
    if (clock != null) {
      clock.add(phase, nanos);
    }
  }

  /** The job was handed to its runner; {@link Phase#WAIT} runs from here to its first step. */
  void admitted(UUID job) {
    var clock = running.get(job);
    if (clock != null) {
      synchronized (clock) {
        clock.admittedNanos = System.nanoTime();
      }
    }
  }

  /** A fused step of {@code nanos} that the job took part in has just ended. */
  void stepped(UUID job, long nanos) {
    var clock = running.get(job);
    if (clock == null) {
      return;
    }
    synchronized (clock) {
      if (!clock.stepped && clock.admittedNanos != 0) {
        clock.stepped = true;
        long untilStep = System.nanoTime() - nanos - clock.admittedNanos;
        clock.add(Phase.WAIT, untilStep - clock.nanos.getOrDefault(Phase.START, 0L));
      }
      clock.add(Phase.STEPS, nanos);
    }
  }

  /** The job ended on this worker: its timings are kept for {@link #of}. */
  JobTimings finish(UUID job) {
    var clock = running.remove(job);
    if (clock == null) {
      return null;
    }
    var timings = clock.snapshot();
    synchronized (finished) {
      finished.put(job, timings);
    }
    return timings;
  }

  /** The job left this worker without finishing (dropped, failed, stopped). */
  void forget(UUID job) {
    running.remove(job);
  }

  Optional<JobTimings> of(UUID job) {
    synchronized (finished) {
      var done = finished.get(job);
      if (done != null) {
        return Optional.of(done);
      }
    }
    return Optional.ofNullable(running.get(job)).map(Clock::snapshot);
  }
}
