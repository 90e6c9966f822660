package io.adapterplatform.training.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ProgressThrottleTest {

  private static final Instant T0 = Instant.parse("2026-12-03T18:00:00Z");

  @Test
  void publishesTheFirstAndLastStepAndAtMostOneStepPerIntervalInBetween() {
    var throttle = new ProgressThrottle(Duration.ofSeconds(5));
    var job = UUID.randomUUID();
    var published = new ArrayList<Integer>();

    // 100 steps, one every 400 ms: 40 s in all.
    for (int step = 1; step <= 100; step++) {
      if (throttle.due(job, step, 100, T0.plusMillis(400L * (step - 1)))) {
        published.add(step);
      }
    }

    // Step 1 at 0 s; then the first step at least 5 s after the last published one (13 steps of
    // 400 ms later: 5.2 s), and so on; then the last step.
    assertThat(published).containsExactly(1, 14, 27, 40, 53, 66, 79, 92, 100);
  }

  @Test
  void eachJobHasItsOwnInterval() {
    var throttle = new ProgressThrottle(Duration.ofSeconds(5));
    var a = UUID.randomUUID();
    var b = UUID.randomUUID();

    boolean aFirst = throttle.due(a, 1, 10, T0);
    boolean bFirst = throttle.due(b, 1, 10, T0.plusSeconds(1));
    boolean aSoon = throttle.due(a, 2, 10, T0.plusSeconds(2));
    boolean bLater = throttle.due(b, 2, 10, T0.plusSeconds(6));

    assertThat(aFirst).isTrue();
    assertThat(bFirst).isTrue();
    assertThat(aSoon).isFalse();
    assertThat(bLater).isTrue();
  }

  @Test
  void aJobThisWorkerHasNotReportedYetIsReportedAtOnce() {
    // As a job taken over from another worker, resuming at step 41.
    var throttle = new ProgressThrottle(Duration.ofHours(1));

    assertThat(throttle.due(UUID.randomUUID(), 41, 100, T0)).isTrue();
  }
}
