package io.adapterplatform.registry.auth;

import io.adapterplatform.registry.audit.AuditLog;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.auth.Role;
import io.adapterplatform.web.auth.TokenVerifier;
import io.adapterplatform.web.page.Names;
import io.adapterplatform.web.problem.ApiException;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.data.domain.Limit;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Issues, revokes and checks bearer tokens; only their sha256 is ever stored. It is the {@link
 * TokenVerifier} of the shared web module's filter wherever the registry runs.
 */
@Service
class TokenService implements TokenVerifier {

  static final String BOOTSTRAP_NAME = "bootstrap-admin";

  /**
   * 32 characters of a random token carry at least 128 bits whatever alphabet they use (hex: 4 bits
   * each).
   */
  static final int MIN_ADMIN_TOKEN_LENGTH = 32;

  private static final Logger log = LoggerFactory.getLogger(TokenService.class);

  record Issued(ApiToken token, String secret) {}

  private final ApiTokenRepository tokens;
  private final AuditLog audit;
  private final String adminToken;
  private final SecureRandom random = new SecureRandom();
  private final TokenCache cache;

  TokenService(
      ApiTokenRepository tokens,
      AuditLog audit,
      @Value("${platform.auth.admin-token:${PLATFORM_ADMIN_TOKEN:}}") String adminToken,
      @Value("${platform.auth.token-cache-ttl:5s}") Duration cacheTtl,
      @Value("${platform.auth.token-cache-size:10000}") int cacheSize,
      MeterRegistry meters) {
    this.tokens = tokens;
    this.audit = audit;
    this.adminToken = adminToken;
    this.cache = new TokenCache(this::load, cacheTtl, cacheSize, Clock.systemUTC());
    FunctionCounter.builder("registry.auth.token.lookups", cache, TokenCache::loads)
        .description(
            "token lookups that reached the database (the rest were answered from the token cache)")
        .register(meters);
  }

  /**
   * Never opens a transaction itself: a cached answer costs no connection (the repository opens its
   * own).
   */
  @Override
  public Optional<Caller> authenticate(String secret) {
    return cache.lookup(sha256(secret));
  }

  private Optional<TokenCache.Grant> load(String sha256) {
    return tokens
        .findByTokenSha256(sha256)
        .filter(t -> !t.revoked())
        .map(
            t ->
                new TokenCache.Grant(
                    new Caller(t.id(), t.name(), t.roles(), t.scopes()), t.expiresAt()));
  }

  @Transactional
  Issued issue(
      Caller caller, String name, Set<Role> roles, Instant expiresAt, List<String> scopes) {
    Names.require("name", name);
    if (roles == null || roles.isEmpty()) {
      throw ApiException.invalidField("roles", "at least one role is required");
    }
    Instant now = Instant.now();
    if (expiresAt != null && !expiresAt.isAfter(now)) {
      throw ApiException.invalidField("expiresAt", "must lie in the future");
    }
    var requested = new TreeSet<String>();
    for (int i = 0; scopes != null && i < scopes.size(); i++) {
      requested.add(Names.require("scopes[" + i + "]", scopes.get(i)));
    }
    if (!AdapterScopes.narrower(List.copyOf(requested), caller.scopes())) {
      throw ApiException.forbidden(
          "a token limited to scopes "
              + caller.scopes()
              + " can only issue tokens limited to those prefixes or narrower ones");
    }
    String secret = newSecret();
    var token =
        tokens.save(
            new ApiToken(name, sha256(secret), roles, now, expiresAt, List.copyOf(requested)));
    audit.record(
        caller.actor(),
        "token.issue",
        "token/" + token.id(),
        "name="
            + name
            + " roles="
            + roles
            + (requested.isEmpty() ? "" : " scopes=" + requested)
            + (expiresAt == null ? "" : " expiresAt=" + expiresAt));
    return new Issued(token, secret);
  }

  @Transactional(readOnly = true)
  /**
   * Up to {@code limit} tokens after {@code afterId}, by id. A scoped caller sees only tokens
   * within its own scopes (those it could have issued), so batches are read until the page is full
   * or the table ends.
   */
  List<ApiToken> list(Caller caller, int limit, long afterId) {
    var page = new ArrayList<ApiToken>();
    long after = afterId;
    while (page.size() < limit) {
      var batch = tokens.findByIdGreaterThanOrderById(after, Limit.of(Math.max(limit, 100)));
      batch.stream()
          .filter(t -> AdapterScopes.narrower(t.scopes(), caller.scopes()))
          .limit(limit - page.size())
          .forEach(page::add);
      if (batch.size() < Math.max(limit, 100)) {
        break;
      }
      after = batch.getLast().id();
    }
    return page;
  }

  @Transactional
  void revoke(Caller caller, long id) {
    var token =
        tokens
            .findById(id)
            .filter(t -> !t.revoked())
            .filter(t -> AdapterScopes.narrower(t.scopes(), caller.scopes()))
            .orElseThrow(() -> ApiException.notFound("token " + id));
    token.revoke(Instant.now());
    evictAfterCommit(token);
    audit.record(caller.actor(), "token.revoke", "token/" + id, null);
  }

  /**
   * After commit, not before: a lookup between eviction and commit would cache the still-live row
   * again.
   */
  private void evictAfterCommit(ApiToken token) {
    String hash = token.tokenSha256();
    TransactionSynchronizationManager.registerSynchronization(
        new TransactionSynchronization() {
          @Override
          public void afterCommit() {
            cache.evict(hash);
          }
        });
  }

  /**
   * Makes the bootstrap ADMIN token usable: the configured one (PLATFORM_ADMIN_TOKEN), or a fresh
   * one when none is configured (the previous generated one is revoked then), which is returned for
   * its owner to keep. A configured token that was revoked stays revoked: the start goes on without
   * it.
   */
  @Transactional
  public Optional<String> bootstrapAdmin() {
    String secret = adminToken == null || adminToken.isBlank() ? null : adminToken.strip();
    if (secret != null && secret.length() < MIN_ADMIN_TOKEN_LENGTH) {
      throw new IllegalStateException(
          "platform.auth.admin-token (PLATFORM_ADMIN_TOKEN) must be at least "
              + MIN_ADMIN_TOKEN_LENGTH
              + " characters, was "
              + secret.length()
              + " (make one with: openssl rand -hex 24)");
    }
    var configured =
        secret == null ? Optional.<ApiToken>empty() : tokens.findByTokenSha256(sha256(secret));
    if (configured.isPresent()) {
      if (configured.get().revoked()) {
        log.warn(
            "the configured bootstrap admin token (id {}) was revoked and stays revoked; starting without it:"
                + " set PLATFORM_ADMIN_TOKEN to a new token to get a bootstrap admin again",
            configured.get().id());
      }
      return Optional.empty();
    }
    for (var old : tokens.findByNameAndRevokedAtIsNull(BOOTSTRAP_NAME)) {
      old.revoke(Instant.now());
      evictAfterCommit(old);
    }
    boolean generated = secret == null;
    if (generated) {
      secret = newSecret();
    }
    var token =
        tokens.save(
            new ApiToken(BOOTSTRAP_NAME, sha256(secret), Set.of(Role.ADMIN), Instant.now()));
    audit.record(
        "system", "token.bootstrap", "token/" + token.id(), generated ? "generated" : "configured");
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

  /**
   * Every request hashes its token: cloning a digest costs a fraction of {@code
   * MessageDigest.getInstance}'s provider lookup (three quarters of the hashing time in a profile).
   */
  private static final MessageDigest SHA256 = newSha256();

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String sha256(String secret) {
    MessageDigest digest;
    try {
      digest = (MessageDigest) SHA256.clone();
    } catch (CloneNotSupportedException notCloneable) {
      digest = newSha256();
    }
    return HexFormat.of().formatHex(digest.digest(secret.getBytes(StandardCharsets.UTF_8)));
  }
}
