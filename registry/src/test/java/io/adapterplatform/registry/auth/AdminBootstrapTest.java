package io.adapterplatform.registry.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.adapterplatform.embedded.PlatformBackends;
import io.adapterplatform.registry.RegistryApplication;
import io.adapterplatform.registry.audit.AuditLog;
import io.adapterplatform.web.auth.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.transaction.annotation.Transactional;

/**
 * Start-up of the bootstrap admin token against the real database. Each test runs in a transaction
 * that is rolled back, so the shared context's own admin token is untouched. The annotation matches
 * RegistryTestBase's (same admin token) so that both share one cached context.
 */
@SpringBootTest(
    classes = RegistryApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.config.name=application,registry",
      "platform.auth.admin-token=test-admin-token-0123456789abcdef",
      "platform.registry.relay-interval=100ms"
    })
@PlatformBackends
@ExtendWith(OutputCaptureExtension.class)
@Transactional
class AdminBootstrapTest {

  private static final String CONFIGURED = "configured-bootstrap-token-0123456789abcdef";

  @Autowired ApiTokenRepository repository;

  @Autowired AuditLog audit;

  @TempDir Path dataDir;

  @Test
  void startsWithAWarningWhenTheConfiguredTokenWasRevoked(CapturedOutput output) {
    tokenService(CONFIGURED).bootstrapAdmin();
    var issued = repository.findByTokenSha256(TokenService.sha256(CONFIGURED)).orElseThrow();
    issued.revoke(Instant.now());
    repository.flush();

    var nextStart = tokenService(CONFIGURED);
    nextStart.bootstrapAdmin();
    repository.flush();

    assertThat(nextStart.authenticate(CONFIGURED)).as("a revoked token stays revoked").isEmpty();
    assertThat(output)
        .contains("the configured bootstrap admin token (id " + issued.id() + ") was revoked");
  }

  @Test
  void refusesAConfiguredTokenShorterThan32Characters() {
    assertThatThrownBy(() -> tokenService("admin-secret").bootstrapAdmin())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("must be at least 32 characters, was 12");
  }

  @Test
  void aGeneratedTokenGoesToAnOwnerOnlyFileAndOnlyItsPathToTheLog(CapturedOutput output)
      throws Exception {
    var tokens = tokenService("");
    var file = dataDir.resolve("admin-token");

    new AdminBootstrap(tokens, file).afterSingletonsInstantiated();

    var secret = Files.readString(file).strip();
    assertThat(tokens.authenticate(secret))
        .hasValueSatisfying(caller -> assertThat(caller.roles()).contains(Role.ADMIN));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(output).contains(file.toString()).doesNotContain(secret);
  }

  /** Without a cache: each check here must see the database as the last statement left it. */
  private TokenService tokenService(String configuredAdminToken) {
    return new TokenService(
        repository,
        audit,
        configuredAdminToken,
        java.time.Duration.ZERO,
        16,
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
  }
}
