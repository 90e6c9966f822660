package io.adapterplatform.training.job;

import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.problem.ApiException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code POST /jobs} under an optional {@code Idempotency-Key}, with the registry's semantics: per
 * token, the same key with the same request gets the first answer again ({@code
 * Idempotent-Replayed: true}), the same key with another request is 422 {@code
 * idempotency-key-reused}. The request is identified by the sha256 of its canonical JSON (the
 * parsed record written back: key order and spacing do not matter). The key is recorded in the
 * transaction that stores the job, so a concurrent retry waits on it and then replays: one job per
 * key, never two.
 */
@Service
class JobSubmissions {

  static final String KEY_HEADER = "Idempotency-Key";
  static final String REPLAYED_HEADER = "Idempotent-Replayed";
  private static final Pattern KEY = Pattern.compile("^[\\x21-\\x7e]{1,255}$");

  private record Stored(String requestSha256, String response) {}

  private final JobValidator validator;
  private final JobService jobs;
  private final JdbcClient jdbc;
  private final JsonMapper json;
  private final TransactionTemplate tx;

  JobSubmissions(
      JobValidator validator,
      JobService jobs,
      JdbcClient jdbc,
      JsonMapper json,
      PlatformTransactionManager transactions) {
    this.validator = validator;
    this.jobs = jobs;
    this.jdbc = jdbc;
    this.json = json;
    this.tx = new TransactionTemplate(transactions);
  }

  ResponseEntity<Job> submit(
      Caller caller, String bearerToken, @Nullable String key, JobRequest request) {
    String digest = null;
    if (key != null) {
      if (!KEY.matcher(key).matches()) {
        throw ApiException.invalidField(KEY_HEADER, "must be 1 to 255 visible ASCII characters");
      }
      digest = sha256(json.writeValueAsString(request));
      var replay = replay(caller, key, digest);
      if (replay.isPresent()) {
        return replay.get();
      }
    }
    var spec = validator.check(caller, bearerToken, request);
    final String requestDigest = digest;
    Job job =
        tx.execute(
            status -> {
              Job created = jobs.submit(caller, spec);
              if (key != null && !remember(caller, key, requestDigest, created)) {
                status.setRollbackOnly();
                return null;
              }
              return created;
            });
    if (job == null) {
      return replay(caller, key, digest).orElseThrow();
    }
    return ResponseEntity.accepted().location(location(job.id())).body(job);
  }

  private boolean remember(Caller caller, String key, String digest, Job job) {
    return jdbc.sql(
                """
        insert into training.job_submission (token_id, key, request_sha256, job_id, response)
        values (?, ?, ?, ?, ?) on conflict do nothing""")
            .params(
                caller.tokenId(),
                key,
                digest,
                UUID.fromString(job.id()),
                json.writeValueAsString(job))
            .update()
        == 1;
  }

  private Optional<ResponseEntity<Job>> replay(Caller caller, String key, String digest) {
    var stored =
        jdbc.sql(
                "select request_sha256, response from training.job_submission where token_id = ? and key = ?")
            .params(caller.tokenId(), key)
            .query(Stored.class)
            .optional();
    if (stored.isEmpty()) {
      return Optional.empty();
    }
    if (!stored.get().requestSha256().equals(digest)) {
      throw ApiException.unprocessable(
          "idempotency-key-reused",
          "the Idempotency-Key '"
              + key
              + "' was used for a different request; use a new key for a new request",
          List.of(new ApiException.FieldError(KEY_HEADER, "used before with a different request")));
    }
    Job job = json.readValue(stored.get().response(), Job.class);
    return Optional.of(
        ResponseEntity.status(HttpStatus.ACCEPTED)
            .header(REPLAYED_HEADER, "true")
            .location(location(job.id()))
            .body(job));
  }

  static URI location(String id) {
    return URI.create("/api/v1/jobs/" + id);
  }

  static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
