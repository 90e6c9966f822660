package io.adapterplatform.registry.auth;

import io.adapterplatform.registry.audit.AuditLog;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.auth.Role;
import io.adapterplatform.web.auth.TokenVerifier;
import io.adapterplatform.web.page.Names;
import io.adapterplatform.web.problem.ApiException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Issues, revokes and checks bearer tokens; only their sha256 is ever stored. It is the {@link TokenVerifier}
 * of the shared web module's filter wherever the registry runs.
 */
@Service
class TokenService implements TokenVerifier {

  static final String BOOTSTRAP_NAME = "bootstrap-admin";
  /** 32 characters of a random token carry at least 128 bits whatever alphabet they use (hex: 4 bits each). */
  static final int MIN_ADMIN_TOKEN_LENGTH = 32;
  private static final Logger log = LoggerFactory.getLogger(TokenService.class);

  record Issued(ApiToken token, String secret) {}

  private final ApiTokenRepository tokens;
  private final AuditLog audit;
  private final String adminToken;
  private final SecureRandom random = new SecureRandom();

  TokenService(ApiTokenRepository tokens, AuditLog audit, @Value("${platform.auth.admin-token:${PLATFORM_ADMIN_TOKEN:}}") String adminToken) {
    this.tokens = tokens;
    this.audit = audit;
    this.adminToken = adminToken;
  }

  @Override
  @Transactional(readOnly = true)
  public Optional<Caller> authenticate(String secret) {
    return tokens.findByTokenSha256(sha256(secret))
        .filter(t -> !t.revoked())
        .map(t -> new Caller(t.id(), t.name(), t.roles()));
  }

  @Transactional
  Issued issue(Caller caller, String name, Set<Role> roles) {
    Names.require("name", name);
    if (roles == null || roles.isEmpty()) {
      throw ApiException.invalidField("roles", "at least one role is required");
    }
    String secret = newSecret();
    var token = tokens.save(new ApiToken(name, sha256(secret), roles, Instant.now()));
    audit.record(caller.actor(), "token.issue", "token/" + token.id(), "name=" + name + " roles=" + roles);
    return new Issued(token, secret);
  }

  @Transactional
  void revoke(Caller caller, long id) {
    var token = tokens.findById(id).filter(t -> !t.revoked())
        .orElseThrow(() -> ApiException.notFound("token " + id));
    token.revoke(Instant.now());
    audit.record(caller.actor(), "token.revoke", "token/" + id, null);
  }

  /**
   * Makes the bootstrap ADMIN token usable: the configured one (PLATFORM_ADMIN_TOKEN), or a fresh one when
   * none is configured (the previous generated one is revoked then), which is returned for its owner to keep.
   * A configured token that was revoked stays revoked: the start goes on without it.
   */
  @Transactional
  public Optional<String> bootstrapAdmin() {
    String secret = adminToken == null || adminToken.isBlank() ? null : adminToken.strip();
    if (secret != null && secret.length() < MIN_ADMIN_TOKEN_LENGTH) {
      throw new IllegalStateException("platform.auth.admin-token (PLATFORM_ADMIN_TOKEN) must be at least "
          + MIN_ADMIN_TOKEN_LENGTH + " characters, was " + secret.length() + " (make one with: openssl rand -hex 24)");
    }
    var configured = secret == null ? Optional.<ApiToken>empty() : tokens.findByTokenSha256(sha256(secret));
    if (configured.isPresent()) {
      if (configured.get().revoked()) {
        log.warn("the configured bootstrap admin token (id {}) was revoked and stays revoked; starting without it:"
            + " set PLATFORM_ADMIN_TOKEN to a new token to get a bootstrap admin again", configured.get().id());
      }
      return Optional.empty();
    }
    for (var old : tokens.findByNameAndRevokedAtIsNull(BOOTSTRAP_NAME)) {
      old.revoke(Instant.now());
    }
    boolean generated = secret == null;
    if (generated) {
      secret = newSecret();
    }
    var token = tokens.save(new ApiToken(BOOTSTRAP_NAME, sha256(secret), Set.of(Role.ADMIN), Instant.now()));
    audit.record("system", "token.bootstrap", "token/" + token.id(), generated ? "generated" : "configured");
    if (generated) {
      return Optional.of(secret);
    }
    log.info("bootstrap admin token configured (id {})", token.id());
    return Optional.empty();
  }

  private String newSecret() {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    return "apt_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  static String sha256(String secret) {
    try {
      var digest = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
