package io.adapterplatform.training.job;

import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.idempotency.IdempotencyKey;
import java.net.URI;
import java.util.Optional;
import java.util.UUID;
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
      Caller caller, String bearerToken, @Nullable String idempotencyKey, JobRequest request) {
    IdempotencyKey key = IdempotencyKey.fromHeader(idempotencyKey);
    String digest = null;
    if (key != null) {
      digest = IdempotencyKey.digest(json.writeValueAsString(request));
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

  private boolean remember(Caller caller, IdempotencyKey key, String digest, Job job) {
    return jdbc.sql(
                """
        insert into training.job_submission (token_id, key, request_sha256, job_id, response)
        values (?, ?, ?, ?, ?) on conflict do nothing""")
            .params(
                caller.tokenId(),
                key.value(),
                digest,
                UUID.fromString(job.id()),
                json.writeValueAsString(job))
            .update()
        == 1;
  }

  private Optional<ResponseEntity<Job>> replay(Caller caller, IdempotencyKey key, String digest) {
    var stored =
        jdbc.sql(
                "select request_sha256, response from training.job_submission where token_id = ? and key = ?")
            .params(caller.tokenId(), key.value())
            .query(Stored.class)
            .optional();
    if (stored.isEmpty()) {
      return Optional.empty();
    }
    if (!stored.get().requestSha256().equals(digest)) {
      throw key.reusedForAnotherRequest();
    }
    Job job = json.readValue(stored.get().response(), Job.class);
    return Optional.of(
        IdempotencyKey.replayed(HttpStatus.ACCEPTED, location(job.id()).toString(), job));
  }

  static URI location(String id) {
    return URI.create("/api/v1/jobs/" + id);
  }
}
