package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.adapterplatform.api.registry.client.TokensApi;
import io.adapterplatform.api.registry.model.CreateTokenRequest;
import io.adapterplatform.api.registry.model.Role;
import io.adapterplatform.web.auth.RemoteTokenVerifier;
import io.adapterplatform.web.problem.ApiException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How a service deployed without the registry verifies the registry's tokens: by asking it, for a
 * short while.
 */
class RemoteTokenVerifierTest extends RegistryTestBase {

  private final MovableClock clock = new MovableClock();

  @Test
  void aTokenIssuedByTheRegistryIsVerifiedWithItsRoles() throws Exception {
    String token = tokenWith(Role.PUBLISHER);

    var caller = verifier().authenticate(token);

    assertThat(caller)
        .hasValueSatisfying(
            c -> {
              assertThat(c.roles()).containsExactly(io.adapterplatform.web.auth.Role.PUBLISHER);
              assertThat(c.has(io.adapterplatform.web.auth.Role.READER)).isTrue();
              assertThat(c.has(io.adapterplatform.web.auth.Role.ADMIN)).isFalse();
            });
    assertThat(verifier().authenticate("apt_not-a-token")).isEmpty();
  }

  @Test
  void aRevokedTokenIsRefusedOnceTheCachedAnswerExpires() throws Exception {
    var tokens = new TokensApi(admin());
    var issued =
        tokens.createToken(
            new CreateTokenRequest().name("remote-" + unique()).roles(List.of(Role.READER)));
    var verifier = verifier();
    assertThat(verifier.authenticate(issued.getToken())).isPresent();

    tokens.revokeToken(issued.getId());

    assertThat(verifier.authenticate(issued.getToken())).as("within the cache's 30 s").isPresent();
    clock.advance(Duration.ofSeconds(31));
    assertThat(verifier.authenticate(issued.getToken())).isEmpty();
  }

  @Test
  void anUnreachableRegistryIsA503ProblemNotAnAnonymousCaller() throws Exception {
    int closedPort;
    try (var socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    var verifier =
        new RemoteTokenVerifier(
            URI.create("http://localhost:" + closedPort), Duration.ofSeconds(30), clock);

    var e = catchThrowableOfType(ApiException.class, () -> verifier.authenticate(ADMIN));

    assertThat(e.status().value()).isEqualTo(503);
    assertThat(e.slug()).isEqualTo("auth-unavailable");
  }

  private RemoteTokenVerifier verifier() {
    return new RemoteTokenVerifier(
        URI.create("http://localhost:" + port), Duration.ofSeconds(30), clock);
  }

  private static final class MovableClock extends Clock {
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration by) {
      now = now.plus(by);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
