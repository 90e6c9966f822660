package io.adapterplatform.serving.metrics;

import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * Tokens per second over the last {@code windowSeconds} seconds (the current one included), in one
 * bucket per second: what an autoscaler compares across pods. A counter's rate would need a
 * Prometheus query; the HPA's metrics adapter reads this gauge as it is.
 */
final class TokenRate {

  private final LongSupplier nanos;
  private final int windowSeconds;
  private final long[] counts;
  private final long[] seconds;

  TokenRate(int windowSeconds, LongSupplier nanos) {
    if (windowSeconds < 1) {
      throw new IllegalArgumentException("windowSeconds must be >= 1, got " + windowSeconds);
    }
    this.nanos = nanos;
    this.windowSeconds = windowSeconds;
    this.counts = new long[windowSeconds];
    this.seconds = new long[windowSeconds];
    Arrays.fill(seconds, Long.MIN_VALUE);
  }

  synchronized void add(long tokens) {
    long now = second();
    int i = (int) Math.floorMod(now, (long) windowSeconds);
    if (seconds[i] != now) {
      seconds[i] = now;
      counts[i] = 0;
    }
    counts[i] += tokens;
  }

  /** Tokens added within the window, divided by its length. */
  synchronized double perSecond() {
    long now = second();
    long sum = 0;
    for (int i = 0; i < windowSeconds; i++) {
      if (seconds[i] > now - windowSeconds) {
        sum += counts[i];
      }
    }
    return (double) sum / windowSeconds;
  }

  private long second() {
    return Math.floorDiv(nanos.getAsLong(), 1_000_000_000L);
  }
}
