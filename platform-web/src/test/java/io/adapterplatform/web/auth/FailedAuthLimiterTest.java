package io.adapterplatform.web.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.test.time.MovableClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class FailedAuthLimiterTest {

  private final MovableClock clock = new MovableClock();
  private final FailedAuthLimiter limiter = new FailedAuthLimiter(3, Duration.ofMinutes(1), clock);

  @Test
  void blocksAnAddressAtItsLimitUntilTheWindowEndsAndNoOtherAddress() {
    assertThat(limiter.recordFailure("10.0.0.1")).isEmpty();
    assertThat(limiter.recordFailure("10.0.0.1")).isEmpty();

    var third = limiter.recordFailure("10.0.0.1");

    assertThat(third).hasValueSatisfying(e -> assertThat(e.status().value()).isEqualTo(429));
    assertThat(limiter.refusal("10.0.0.1")).isPresent();
    assertThat(limiter.retryAfterSeconds("10.0.0.1")).isBetween(1L, 61L);
    assertThat(limiter.refusal("10.0.0.2")).isEmpty();
    clock.advance(Duration.ofMinutes(1));
    assertThat(limiter.refusal("10.0.0.1")).isEmpty();
    assertThat(limiter.recordFailure("10.0.0.1")).as("a new window starts from zero").isEmpty();
  }
}
