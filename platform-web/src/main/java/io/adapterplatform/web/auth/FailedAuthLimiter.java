package io.adapterplatform.web.auth;

import io.adapterplatform.web.problem.ApiException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;

/**
 * Slows token guessing: per client address, the {@code max-failures}-th unknown token within a
 * window is answered 429 and so is every request from that address until the window ends (a correct
 * token too, or the guessing would go on), with {@code Retry-After}. Other addresses are not
 * affected. Windows are fixed and start at an address's first failure. The address is the request's
 * remote address, which is the proxy's unless the server is told to trust forwarded headers ({@code
 * server.forward-headers-strategy}). One instance per context is a bean, so that filters beside
 * {@link AuthFilter} (the serving module's OpenAI paths) count against the same windows.
 */
public class FailedAuthLimiter {

  private static final Logger log = LoggerFactory.getLogger(FailedAuthLimiter.class);

  /** Beyond this many tracked addresses, finished windows are dropped before a new one is added. */
  private static final int SWEEP_AT = 10_000;

  private record Window(Instant start, int failures) {}

  private final int maxFailures;
  private final Duration window;
  private final Clock clock;
  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  FailedAuthLimiter(FailedAuthProperties properties) {
    this(properties.maxFailures(), properties.window(), Clock.systemUTC());
  }

  FailedAuthLimiter(int maxFailures, Duration window, Clock clock) {
    if (maxFailures < 1 || window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException(
          "platform.auth.failed-limit needs max-failures >= 1 and a positive window");
    }
    this.maxFailures = maxFailures;
    this.window = window;
    this.clock = clock;
  }

  /** A 429 when the address is blocked now. */
  public Optional<ApiException> refusal(String address) {
    Instant now = clock.instant();
    Window w = windows.get(address);
    if (w == null || w.failures() < maxFailures || !now.isBefore(w.start().plus(window))) {
      return Optional.empty();
    }
    return Optional.of(tooMany(w, now));
  }

  /** Counts an unknown token; a 429 instead of the 401 when this failure reaches the limit. */
  public Optional<ApiException> recordFailure(String address) {
    Instant now = clock.instant();
    if (windows.size() >= SWEEP_AT) {
      windows.values().removeIf(w -> !now.isBefore(w.start().plus(window)));
    }
    Window w =
        windows.compute(
            address,
            (a, old) ->
                old == null || !now.isBefore(old.start().plus(window))
                    ? new Window(now, 1)
                    : new Window(old.start(), old.failures() + 1));
    if (w.failures() == maxFailures) {
      log.warn(
          "failed authentication limit reached: address={} failures={} window={}",
          address,
          maxFailures,
          window);
    }
    return w.failures() >= maxFailures ? Optional.of(tooMany(w, now)) : Optional.empty();
  }

  /** Seconds until the address's window ends, at least 1. */
  public long retryAfterSeconds(String address) {
    Window w = windows.get(address);
    if (w == null) {
      return 1;
    }
    return Math.max(1, Duration.between(clock.instant(), w.start().plus(window)).toSeconds() + 1);
  }

  private ApiException tooMany(Window w, Instant now) {
    long seconds = Math.max(1, Duration.between(now, w.start().plus(window)).toSeconds() + 1);
    return new ApiException(
        HttpStatus.TOO_MANY_REQUESTS,
        "too-many-requests",
        "Too many requests",
        "too many failed authentications from this address; retry in " + seconds + " s",
        List.of());
  }
}
