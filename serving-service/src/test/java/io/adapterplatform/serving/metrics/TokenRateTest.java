package io.adapterplatform.serving.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TokenRateTest {

  private static final long SECOND = 1_000_000_000L;

  private final AtomicLong now = new AtomicLong(1_000 * SECOND);
  private final TokenRate rate = new TokenRate(10, now::get);

  @Test
  void isTheTokensOfTheWindowOverItsLength() {
    rate.add(30);
    now.addAndGet(3 * SECOND);
    rate.add(20);

    assertThat(rate.perSecond()).isEqualTo(5.0);
  }

  @Test
  void forgetsTokensOlderThanTheWindow() {
    rate.add(100);
    now.addAndGet(9 * SECOND);
    rate.add(10);

    assertThat(rate.perSecond()).as("both within 10 s").isEqualTo(11.0);

    now.addAndGet(SECOND);
    assertThat(rate.perSecond()).as("the first second left the window").isEqualTo(1.0);

    now.addAndGet(25 * SECOND);
    assertThat(rate.perSecond()).isZero();
  }

  @Test
  void aBucketReusedAfterAWholeWindowStartsFromZero() {
    rate.add(7);
    now.addAndGet(10 * SECOND);
    rate.add(3);

    assertThat(rate.perSecond()).isEqualTo(0.3);
  }
}
