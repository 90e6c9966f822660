package io.adapterplatform.registry.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.test.time.MovableClock;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.auth.Role;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The token cache against a stand-in for the token table, with a clock the test moves (no
 * sleeping).
 */
class TokenCacheTest {

  private static final Duration TTL = Duration.ofSeconds(5);

  /** A clock that stands still until the test moves it. */
  private final MovableClock clock = new MovableClock();

  private final Map<String, TokenCache.Grant> table = new HashMap<>();
  private int queries;
  private final TokenCache cache =
      new TokenCache(
          hash -> {
            queries++;
            return Optional.ofNullable(table.get(hash));
          },
          TTL,
          100,
          clock);

  private static TokenCache.Grant grant(long id, Instant expiresAt) {
    return new TokenCache.Grant(new Caller(id, "t" + id, Set.of(Role.READER)), expiresAt);
  }

  @Test
  void aBurstWithOneTokenCostsOneQueryPerTtl() {
    table.put("h1", grant(1, null));

    for (int i = 0; i < 1000; i++) {
      assertThat(cache.lookup("h1")).isPresent();
    }

    assertThat(queries).isEqualTo(1);
    assertThat(cache.loads()).isEqualTo(1);
    clock.advance(TTL);
    cache.lookup("h1");
    assertThat(queries).isEqualTo(2);
  }

  @Test
  void aRevocationElsewhereTakesEffectWithinTheTtl() {
    table.put("h1", grant(1, null));
    assertThat(cache.lookup("h1")).isPresent();

    table.remove("h1");

    clock.advance(TTL.minusMillis(1));
    assertThat(cache.lookup("h1")).as("still cached, within the stated bound").isPresent();
    clock.advance(Duration.ofMillis(1));
    assertThat(cache.lookup("h1")).as("refused once the bound has passed").isEmpty();
  }

  @Test
  void anEvictedTokenIsLookedUpAgainAtOnce() {
    table.put("h1", grant(1, null));
    cache.lookup("h1");
    table.remove("h1");

    cache.evict("h1");

    assertThat(cache.lookup("h1")).isEmpty();
  }

  @Test
  void expiryIsExactEvenForACachedToken() {
    table.put("h1", grant(1, clock.instant().plusSeconds(2)));
    assertThat(cache.lookup("h1")).isPresent();

    clock.advance(Duration.ofSeconds(2));

    assertThat(cache.lookup("h1")).isEmpty();
    assertThat(queries).isEqualTo(1);
  }

  @Test
  void unknownTokensAreRememberedTooAndTheMapStaysBounded() {
    for (int i = 0; i < 250; i++) {
      assertThat(cache.lookup("unknown-" + i)).isEmpty();
    }
    assertThat(cache.lookup("unknown-249")).isEmpty();

    assertThat(queries).isEqualTo(250);
  }
}
