package io.adapterplatform.serving.it;

import io.adapterplatform.serving.batch.BatcherStats;
import io.adapterplatform.serving.batch.ContinuousBatcher;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Holds a running batcher between two steps through its own mutation queue (the only hook the
 * scheduler offers), so that a test decides which requests meet in a step instead of hoping that
 * they arrive together: while held, accepted requests wait in the queue, and the first step after
 * {@link #release()} admits them all at once. A {@link StepWatch} started while held sees every
 * step from that one on.
 */
final class BatcherGate implements AutoCloseable {

  private final CountDownLatch entered = new CountDownLatch(1);
  private final CountDownLatch released = new CountDownLatch(1);

  private BatcherGate() {}

  /** Holds {@code batcher} before its next step; returns once the step thread is held. */
  static BatcherGate hold(ContinuousBatcher batcher) throws InterruptedException {
    BatcherGate gate = new BatcherGate();
    batcher.betweenSteps(
        pool -> {
          gate.entered.countDown();
          try {
            // bounded, so that a failing test cannot leave the server's step thread stuck
            gate.released.await(2, TimeUnit.MINUTES);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    if (!gate.entered.await(1, TimeUnit.MINUTES)) {
      throw new IllegalStateException("the batcher's step thread never reached the gate");
    }
    return gate;
  }

  void release() {
    released.countDown();
  }

  @Override
  public void close() {
    release();
  }

  /**
   * The largest figures the batcher's stats showed after each step, from the first step after it
   * was started until the batcher is idle again.
   */
  record Peak(int running, int rowsInOneStep, int adaptersInOneStep, long steps) {}

  /**
   * Watches every step: a mutation that reads {@link ContinuousBatcher#stats()} (the state after
   * the step just run) before the next one and queues itself again, until nothing runs or waits.
   * Start it while the batcher is held, after the requests are queued.
   */
  static final class StepWatch {
    private final ContinuousBatcher batcher;
    private final CompletableFuture<Peak> done = new CompletableFuture<>();
    private int running;
    private int rows;
    private int adapters;
    private long firstStep = -1;
    private long lastStep;

    private StepWatch(ContinuousBatcher batcher) {
      this.batcher = batcher;
    }

    static StepWatch start(ContinuousBatcher batcher) {
      StepWatch watch = new StepWatch(batcher);
      batcher.betweenSteps(pool -> watch.observe());
      return watch;
    }

    // on the step thread
    private void observe() {
      BatcherStats s = batcher.stats();
      if (firstStep < 0) {
        firstStep = s.steps();
      }
      lastStep = s.steps();
      running = Math.max(running, s.running());
      rows = Math.max(rows, s.lastStepRows());
      adapters = Math.max(adapters, s.lastStepAdapters());
      if (s.running() == 0 && s.waiting() == 0 && lastStep > firstStep) {
        done.complete(new Peak(running, rows, adapters, lastStep - firstStep));
      } else {
        batcher.betweenSteps(pool -> observe());
      }
    }

    /** The peak once the batcher has run everything it was given. */
    Peak peak() {
      return done.orTimeout(2, TimeUnit.MINUTES).join();
    }
  }
}
