package io.adapterplatform.local.e2e;

import io.adapterplatform.serving.batch.ContinuousBatcher;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Decides which requests meet in a forward pass instead of hoping that they arrive together: {@link
 * #hold} parks the served batcher's step thread between two steps through its own mutation queue
 * (the only hook the scheduler offers), so accepted requests wait in its queue; {@link #release}
 * lets the next step admit them all at once, and from then on a mutation queued before every step
 * reads {@link ContinuousBatcher#stats()} to record the most distinct adapters one pass held.
 */
final class StepWatch implements AutoCloseable {

  private final ContinuousBatcher batcher;
  private final CountDownLatch held = new CountDownLatch(1);
  private final CountDownLatch released = new CountDownLatch(1);
  private final CompletableFuture<Integer> peak = new CompletableFuture<>();
  private int mostAdapters;
  private long firstStep = -1;

  private StepWatch(ContinuousBatcher batcher) {
    this.batcher = batcher;
  }

  /** Holds {@code batcher} before its next step; returns once its step thread is parked. */
  static StepWatch hold(ContinuousBatcher batcher) throws InterruptedException {
    var watch = new StepWatch(batcher);
    batcher.betweenSteps(
        pool -> {
          watch.held.countDown();
          try {
            // bounded, so that a failing test cannot leave the server's step thread parked
            watch.released.await(2, TimeUnit.MINUTES);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    if (!watch.held.await(1, TimeUnit.MINUTES)) {
      throw new IllegalStateException("the batcher's step thread never reached the gate");
    }
    return watch;
  }

  /** Lets the batcher run and watches every step until it has nothing left to run. */
  void release() {
    batcher.betweenSteps(pool -> observe());
    released.countDown();
  }

  // on the step thread, after each step
  private void observe() {
    var stats = batcher.stats();
    if (firstStep < 0) {
      firstStep = stats.steps();
    }
    mostAdapters = Math.max(mostAdapters, stats.lastStepAdapters());
    if (stats.running() == 0 && stats.waiting() == 0 && stats.steps() > firstStep) {
      peak.complete(mostAdapters);
    } else {
      batcher.betweenSteps(pool -> observe());
    }
  }

  /**
   * The most distinct adapters (the bare base model counted as one) that one forward pass held,
   * once the batcher is idle again.
   */
  int mostAdaptersInOneStep() {
    return peak.orTimeout(2, TimeUnit.MINUTES).join();
  }

  @Override
  public void close() {
    released.countDown();
  }
}
