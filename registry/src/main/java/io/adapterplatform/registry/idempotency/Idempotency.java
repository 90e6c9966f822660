package io.adapterplatform.registry.idempotency;

import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.idempotency.IdempotencyKey;
import io.adapterplatform.web.problem.ApiException;
import jakarta.servlet.http.HttpServletRequest;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code Idempotency-Key} on the POSTs that create something. The first request with a key claims
 * it (a row in PostgreSQL, committed at once so that concurrent requests see it) and its answer
 * (status, Location, body) is stored; a retry of the same request with the same key gets that
 * answer again with {@code Idempotent-Replayed: true}, also after a restart; the same key with
 * another request is 422; a retry while the first is still in flight is 409 (it never creates a
 * second resource). Keys are scoped per token and per operation and kept {@code
 * platform.registry.idempotency-retention} (24 h) at least.
 *
 * <p>A request is identified by a digest: the path and the canonical JSON of a JSON body, or, for
 * multipart uploads, the path and the parts' names with the sha256 of their contents, computed
 * while the parts stream to staging. The multipart digest is known only after staging, so those
 * services call {@link #claim} then.
 */
@Component
public class Idempotency {

  public static final String KEY_HEADER = IdempotencyKey.HEADER;
  public static final String REPLAYED_HEADER = IdempotencyKey.REPLAYED_HEADER;
  public static final int MAX_KEY_LENGTH = IdempotencyKey.MAX_LENGTH;

  private static final Logger log = LoggerFactory.getLogger(Idempotency.class);
  private static final String SCOPE = Idempotency.class.getName() + ".scope";

  /** Map keys sorted, so that two spellings of one JSON object digest alike. */
  private static final JsonMapper CANONICAL =
      JsonMapper.builder().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build();

  private final JdbcClient jdbc;
  private final JsonMapper json;
  private final Duration retention;
  private final Duration inFlightTimeout;

  Idempotency(
      JdbcClient jdbc,
      JsonMapper json,
      @Value("${platform.registry.idempotency-retention:24h}") Duration retention,
      @Value("${platform.registry.idempotency-in-flight-timeout:10m}") Duration inFlightTimeout) {
    this.jdbc = jdbc;
    this.json = json;
    this.retention = retention;
    this.inFlightTimeout = inFlightTimeout;
  }

  /** The key, token and operation of a request, and whether this request holds the claim. */
  private static final class Scope {
    final long tokenId;
    final String operation;
    final IdempotencyKey key;
    final String path;
    boolean claimed;

    Scope(long tokenId, String operation, IdempotencyKey key, String path) {
      this.tokenId = tokenId;
      this.operation = operation;
      this.key = key;
      this.path = path;
    }
  }

  /** The stored first answer, thrown past the service back to {@link #run} to be replayed. */
  private static final class Replay extends RuntimeException {
    final int status;
    final @Nullable String location;
    final byte[] body;

    Replay(int status, @Nullable String location, byte[] body) {
      super(null, null, false, false);
      this.status = status;
      this.location = location;
      this.body = body;
    }
  }

  /**
   * Runs a creating operation under the request's {@code Idempotency-Key}, if any. {@code jsonBody}
   * is the parsed JSON request, digested before the action runs; pass null for a multipart
   * operation, whose service calls {@link #claim} once its parts are staged.
   */
  public <T> ResponseEntity<T> run(
      Caller caller,
      String operation,
      HttpServletRequest request,
      Class<T> type,
      @Nullable Object jsonBody,
      Supplier<ResponseEntity<T>> action) {
    IdempotencyKey key = IdempotencyKey.fromHeader(request.getHeader(KEY_HEADER));
    if (key == null) {
      return action.get();
    }
    var scope = new Scope(caller.tokenId(), operation, key, request.getRequestURI());
    request.setAttribute(SCOPE, scope);
    try {
      if (jsonBody != null) {
        claim(request, CANONICAL.writeValueAsString(jsonBody));
      }
      ResponseEntity<T> response = action.get();
      if (scope.claimed) {
        store(scope, response);
      }
      return response;
    } catch (Replay replay) {
      return replayed(replay, type);
    } catch (RuntimeException | Error e) {
      if (scope.claimed) {
        release(scope);
      }
      throw e;
    }
  }

  /**
   * Claims the request's key for {@code requestDigest} (what identifies the request besides its
   * path): returns when this request is the first and goes on; otherwise answers for it (replay,
   * 409 in flight, 422 other request). A no-op without an {@code Idempotency-Key}.
   */
  public void claim(HttpServletRequest request, String requestDigest) {
    if (!(request.getAttribute(SCOPE) instanceof Scope scope)) {
      return;
    }
    String digest = IdempotencyKey.digest(scope.path + "\n" + requestDigest);
    for (int attempt = 0; attempt < 2; attempt++) {
      int inserted =
          jdbc.sql(
                  """
          insert into idempotency_key (token_id, operation, key, request_sha256) values (?, ?, ?, ?)
          on conflict do nothing""")
              .params(scope.tokenId, scope.operation, scope.key.value(), digest)
              .update();
      if (inserted == 1) {
        scope.claimed = true;
        return;
      }
      var existing =
          jdbc.sql(
                  """
          select request_sha256, status, location, body, claimed_at from idempotency_key
          where token_id = ? and operation = ? and key = ?""")
              .params(scope.tokenId, scope.operation, scope.key.value())
              .query(
                  (rs, i) ->
                      new Stored(
                          rs.getString(1),
                          (Integer) rs.getObject(2),
                          rs.getString(3),
                          rs.getBytes(4),
                          rs.getObject(5, OffsetDateTime.class).toInstant()))
              .optional();
      if (existing.isEmpty()) {
        continue; // collected between the insert and the select
      }
      var stored = existing.get();
      if (!stored.requestSha256().equals(digest)) {
        throw scope.key.reusedForAnotherRequest();
      }
      if (stored.status() != null) {
        throw new Replay(stored.status(), stored.location(), stored.body());
      }
      if (stored.claimedAt().isBefore(Instant.now().minus(inFlightTimeout))
          && takeOver(scope, stored.claimedAt())) {
        log.warn(
            "idempotency key of token {} for {} was in flight since {}; taken over",
            scope.tokenId,
            scope.operation,
            stored.claimedAt());
        scope.claimed = true;
        return;
      }
      throw ApiException.conflict(
          "idempotency-in-flight",
          "a request with the Idempotency-Key '"
              + scope.key.value()
              + "' is still in flight; retry after it has been answered");
    }
    throw ApiException.conflict(
        "idempotency-in-flight",
        "the Idempotency-Key '" + scope.key.value() + "' is changing; retry");
  }

  private record Stored(
      String requestSha256,
      @Nullable Integer status,
      @Nullable String location,
      byte @Nullable [] body,
      Instant claimedAt) {}

  private boolean takeOver(Scope scope, Instant claimedAt) {
    return jdbc.sql(
                """
        update idempotency_key set claimed_at = now()
        where token_id = ? and operation = ? and key = ? and status is null and claimed_at = ?""")
            .params(
                scope.tokenId,
                scope.operation,
                scope.key.value(),
                OffsetDateTime.ofInstant(claimedAt, java.time.ZoneOffset.UTC))
            .update()
        == 1;
  }

  private void store(Scope scope, ResponseEntity<?> response) {
    var location = response.getHeaders().getLocation();
    byte[] body =
        response.getBody() == null ? new byte[0] : json.writeValueAsBytes(response.getBody());
    jdbc.sql(
            """
        update idempotency_key set status = ?, location = ?, body = ?
        where token_id = ? and operation = ? and key = ?""")
        .params(
            response.getStatusCode().value(),
            location == null ? null : location.toString(),
            body,
            scope.tokenId,
            scope.operation,
            scope.key.value())
        .update();
  }

  /** A failed first request leaves nothing to replay: its key is free for the retry. */
  private void release(Scope scope) {
    jdbc.sql(
            "delete from idempotency_key where token_id = ? and operation = ? and key = ? and status is null")
        .params(scope.tokenId, scope.operation, scope.key.value())
        .update();
  }

  private <T> ResponseEntity<T> replayed(Replay replay, Class<T> type) {
    return IdempotencyKey.replayed(
        HttpStatus.valueOf(replay.status),
        replay.location,
        replay.body.length == 0 ? null : json.readValue(replay.body, type));
  }

  /** Keys older than the retention go; at least 24 h by default, so a day of retries is covered. */
  @Scheduled(
      fixedDelayString = "${platform.registry.collector-interval:10m}",
      initialDelayString = "${platform.registry.collector-interval:10m}")
  void scheduled() {
    try {
      collect(Instant.now().minus(retention));
    } catch (RuntimeException e) {
      log.warn("idempotency key collector failed; will retry: {}", e.toString());
    }
  }

  /**
   * Removes answered keys created before {@code cutoff}, and abandoned claims as old; returns how
   * many.
   */
  public int collect(Instant cutoff) {
    return jdbc.sql("delete from idempotency_key where created_at < ?")
        .param(OffsetDateTime.ofInstant(cutoff, java.time.ZoneOffset.UTC))
        .update();
  }
}
