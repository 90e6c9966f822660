package io.adapterplatform.web.auth;

import io.adapterplatform.web.problem.ApiException;
import io.adapterplatform.web.problem.CommonProblem;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Verifies tokens of a service that runs without the registry in its context: asks the registry who
 * a token is ({@code GET /api/v1/tokens/self}) and remembers the answer, positive or negative, for
 * a short time, so that a burst of requests costs one call. A revoked token therefore stays usable
 * here for at most that time.
 */
public class RemoteTokenVerifier implements TokenVerifier {

  private static final int MAX_ENTRIES = 10_000;

  record Identity(long id, String name, List<Role> roles, List<String> scopes) {}

  private record Entry(Optional<Caller> caller, Instant until) {}

  private final URI self;
  private final Duration ttl;
  private final Clock clock;
  private final HttpClient http;
  private final JsonMapper json =
      JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
  private final ConcurrentHashMap<String, Entry> cache = new ConcurrentHashMap<>();

  public RemoteTokenVerifier(URI registry, Duration ttl, Clock clock) {
    this.self = registry.resolve("/api/v1/tokens/self");
    this.ttl = ttl;
    this.clock = clock;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @Override
  public Optional<Caller> authenticate(String secret) {
    String key = sha256(secret); // the cache keeps no secret
    Instant now = clock.instant();
    Entry cached = cache.get(key);
    if (cached != null && now.isBefore(cached.until())) {
      return cached.caller();
    }
    Optional<Caller> caller = ask(secret);
    if (cache.size() >= MAX_ENTRIES) {
      cache.values().removeIf(e -> !now.isBefore(e.until()));
      if (cache.size() >= MAX_ENTRIES) {
        cache.clear();
      }
    }
    cache.put(key, new Entry(caller, now.plus(ttl)));
    return caller;
  }

  private Optional<Caller> ask(String secret) {
    var request =
        HttpRequest.newBuilder(self)
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + secret)
            .header("Accept", "application/json")
            .GET()
            .build();
    HttpResponse<byte[]> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw unavailable("the registry, which verifies tokens, cannot be reached");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw unavailable("interrupted while verifying the token");
    }
    if (response.statusCode() == 401) {
      return Optional.empty();
    }
    if (response.statusCode() != 200) {
      throw unavailable(
          "the registry answered " + response.statusCode() + " when asked to verify the token");
    }
    try {
      var identity = json.readValue(response.body(), Identity.class);
      var roles = EnumSet.noneOf(Role.class);
      roles.addAll(identity.roles());
      return Optional.of(
          new Caller(
              identity.id(),
              identity.name(),
              roles,
              identity.scopes() == null ? List.of() : identity.scopes()));
    } catch (JacksonException e) {
      throw unavailable("the registry's answer about the token is not readable");
    }
  }

  private static ApiException unavailable(String detail) {
    return CommonProblem.AUTH_UNAVAILABLE.exception(detail + "; retry later");
  }

  private static String sha256(String secret) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
