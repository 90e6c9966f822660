package io.adapterplatform.training.worker;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writes a worker makes about its jobs (progress rows, checkpoint uploads, publishing, the
 * alias, SUCCEEDED), off the stepping thread: one lane per job, in which tasks run one after
 * another in the order they were given, so that a job's writes keep their order (its checkpoint
 * before the progress of later steps, the result before the alias before SUCCEEDED before its
 * checkpoints are deleted), while the lanes of different jobs run side by side on a few threads and
 * the next fused step runs meanwhile.
 */
final class JobLanes {

  private static final Logger log = LoggerFactory.getLogger(JobLanes.class);

  private final @Nullable ExecutorService threads;
  private final Map<UUID, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();

  /** With 0 {@code threads}, every task runs at once on the caller's thread. */
  JobLanes(String worker, int threads) {
    this.threads =
        threads == 0
            ? null
            : Executors.newFixedThreadPool(
                threads,
                Thread.ofPlatform().name("training-writes-" + worker + "-", 0).daemon().factory());
  }

  /**
   * Runs {@code task} after every task given before for {@code job}; a task that fails is logged
   * and does not stop the lane.
   */
  void run(UUID job, Runnable task) {
    if (threads == null) {
      runLogged(job, task);
      return;
    }
    CompletableFuture<Void> tail =
        tails.compute(
            job,
            (id, before) ->
                (before == null ? CompletableFuture.<Void>completedFuture(null) : before)
                    .thenRunAsync(() -> runLogged(id, task), threads));
    tail.whenComplete((v, e) -> tails.remove(job, tail));
  }

  private static void runLogged(UUID job, Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      log.warn("a write about a job failed: jobId={}", job, e);
    }
  }

  /** Jobs with writes not yet done. */
  int pending() {
    return tails.size();
  }

  /** Waits until every task given so far has run (a worker that stops gracefully). */
  void drain(Duration timeout) {
    List<CompletableFuture<Void>> all = List.copyOf(tails.values());
    try {
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn("writes about jobs still pending after {}", timeout, e);
    }
  }

  /** Stops the threads: what is still queued is dropped (a killed worker). */
  void shutdownNow() {
    if (threads != null) {
      threads.shutdownNow();
    }
  }

  /** Stops taking tasks once those given have run. */
  void shutdown() {
    if (threads != null) {
      threads.shutdown();
    }
  }
}
