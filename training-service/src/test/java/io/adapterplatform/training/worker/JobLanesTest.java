package io.adapterplatform.training.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class JobLanesTest {

  private final JobLanes lanes = new JobLanes("test", 2);

  @AfterEach
  void stop() {
    lanes.shutdownNow();
  }

  @Test
  void aJobsWritesRunInTheirOrderWhileAnotherJobsWritesGoAhead() throws Exception {
    UUID slow = UUID.randomUUID();
    UUID other = UUID.randomUUID();
    var order = new CopyOnWriteArrayList<String>();
    var otherRan = new CountDownLatch(1);

    lanes.run(
        slow,
        () -> {
          await(otherRan);
          order.add("slow-1");
        });
    lanes.run(slow, () -> order.add("slow-2"));
    lanes.run(
        other,
        () -> {
          order.add("other");
          otherRan.countDown();
        });
    lanes.drain(Duration.ofSeconds(30));

    assertThat(order).containsExactly("other", "slow-1", "slow-2");
    assertThat(lanes.pending()).isZero();
  }

  @Test
  void aFailingWriteDoesNotStopTheWritesAfterIt() {
    UUID job = UUID.randomUUID();
    var order = new CopyOnWriteArrayList<String>();

    lanes.run(
        job,
        () -> {
          throw new IllegalStateException("the object store is away");
        });
    lanes.run(job, () -> order.add("after"));
    lanes.drain(Duration.ofSeconds(30));

    assertThat(order).containsExactly("after");
  }

  @Test
  void withoutThreadsEveryWriteRunsAtOnceOnTheCallersThread() {
    var inline = new JobLanes("inline", 0);
    var threads = new CopyOnWriteArrayList<Thread>();

    inline.run(UUID.randomUUID(), () -> threads.add(Thread.currentThread()));

    assertThat(threads).isEqualTo(List.of(Thread.currentThread()));
  }

  private static void await(CountDownLatch latch) {
    try {
      assertThat(latch.await(30, TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }
}
