package io.adapterplatform.training.worker;

import io.adapterplatform.training.job.JobReports;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * A worker's writes about its jobs, in each job's {@link JobLanes lane}, with its step rows
 * gathered: a step is kept until {@code stepRowsInterval} has passed since the job's last step
 * write (its first and last step go at once), then the steps kept go in one transaction. With fused
 * steps of tens of milliseconds, one transaction per step per job was enough background work to
 * slow the steps themselves: libtorch's threads wait for each other at every operation, and any
 * thread that takes a core from one of them stalls them all. Before any other write about a job (a
 * checkpoint, a publication, a cancel), its kept steps are handed to the lane, so that the job's
 * writes keep their order.
 */
final class JobWrites {

  /** Kept steps of one job written whatever the interval: bounds one write's statement. */
  static final int MAX_KEPT_STEPS = 500;

  /** Writes steps of one job, in its lane, in the order they were taken. */
  interface StepSink {
    void write(UUID job, List<JobReports.Step> steps);
  }

  private final JobLanes lanes;
  private final StepSink sink;
  private final long intervalNanos;
  private final LongSupplier clock;
  private final Map<UUID, Kept> kept = new ConcurrentHashMap<>();

  private static final class Kept {
    final List<JobReports.Step> steps = new ArrayList<>();
    long lastWrite;
    boolean written;
  }

  JobWrites(JobLanes lanes, Duration stepRowsInterval, StepSink sink, LongSupplier nanoClock) {
    this.lanes = lanes;
    this.sink = sink;
    this.intervalNanos = stepRowsInterval.toNanos();
    this.clock = nanoClock;
  }

  /** Keeps {@code step} of {@code job}, and hands the kept steps to the lane when they are due. */
  void step(UUID job, JobReports.Step step) {
    Kept k = kept.computeIfAbsent(job, id -> new Kept());
    List<JobReports.Step> due;
    synchronized (k) {
      k.steps.add(step);
      long now = clock.getAsLong();
      boolean last = step.step() >= step.totalSteps();
      if (k.written
          && !last
          && k.steps.size() < MAX_KEPT_STEPS
          && now - k.lastWrite < intervalNanos) {
        return;
      }
      k.written = true;
      k.lastWrite = now;
      due = takeAll(k);
      if (last) {
        kept.remove(job, k);
      }
    }
    lanes.run(job, () -> sink.write(job, due));
  }

  /** Runs {@code task} in the job's lane, after the job's kept steps are written. */
  void run(UUID job, Runnable task) {
    writeSteps(job);
    lanes.run(job, task);
  }

  /** Hands every job's kept steps to its lane (a worker that stops gracefully). */
  void writeAllSteps() {
    kept.keySet().forEach(this::writeSteps);
  }

  /** Drops what is kept for {@code job}: it is no longer this worker's. */
  void forget(UUID job) {
    kept.remove(job);
  }

  /** Steps kept and not yet handed to a lane, over every job. */
  int keptSteps() {
    return kept.values().stream()
        .mapToInt(
            k -> {
              synchronized (k) {
                return k.steps.size();
              }
            })
        .sum();
  }

  JobLanes lanes() {
    return lanes;
  }

  private void writeSteps(UUID job) {
    Kept k = kept.get(job);
    if (k == null) {
      return;
    }
    List<JobReports.Step> due;
    synchronized (k) {
      if (k.steps.isEmpty()) {
        return;
      }
      k.lastWrite = clock.getAsLong();
      due = takeAll(k);
    }
    lanes.run(job, () -> sink.write(job, due));
  }

  private static List<JobReports.Step> takeAll(Kept k) {
    List<JobReports.Step> all = List.copyOf(k.steps);
    k.steps.clear();
    return all;
  }
}
