package io.adapterplatform.training.job;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/**
 * The workers' claims on jobs: a lease in PostgreSQL ({@code worker}, {@code lease_expires_at},
 * {@code heartbeat_at}) that its holder renews while it trains. A QUEUED job, or a RUNNING one
 * whose lease has run out (its worker died) or was released (its worker stopped), may be claimed by
 * any worker; each claim counts one attempt, and a job out of attempts FAILS instead.
 */
@Component
public class JobLeases {

  private static final Logger log = LoggerFactory.getLogger(JobLeases.class);

  /** How many claimable rows one claim looks at. */
  private static final int CANDIDATES = 100;

  /** A job a worker has just claimed. {@code result}: already published by an earlier attempt. */
  public record Claimed(
      UUID id, String baseModel, JobRequest spec, int attempt, Job.@Nullable JobResult result) {}

  /**
   * What a worker can take: free places in the runners of base models it has loaded, and how many
   * more base models it may load (each then takes up to {@code maxFusedJobs}).
   */
  public record Room(Map<String, Integer> freeByBaseModel, int newBaseModels, int maxFusedJobs) {}

  private record Candidate(
      UUID id,
      String baseModel,
      JobState state,
      int attempts,
      String spec,
      @Nullable String resultAdapter,
      int resultVersion,
      @Nullable String error) {}

  private final JdbcClient jdbc;
  private final JobService jobs;
  private final Jobs table;
  private final JsonMapper json;
  private final Clock clock = Clock.systemUTC();

  JobLeases(JdbcClient jdbc, JobService jobs, Jobs table, JsonMapper json) {
    this.jdbc = jdbc;
    this.jobs = jobs;
    this.table = table;
    this.json = json;
  }

  /**
   * Claims, oldest first, the claimable jobs that fit {@code room} for {@code worker}; a job out of
   * attempts ({@code maxAttempts} claims already) is FAILED with the reason instead.
   */
  @Transactional
  public List<Claimed> claim(String worker, Room room, Duration lease, int maxAttempts) {
    Instant now = now();
    var candidates =
        jdbc.sql(
                """
            select id, base_model, state, attempts, spec, result_adapter,
                   coalesce(result_version, 0) as result_version, error
              from training.job
             where state = 'QUEUED'
                or (state = 'RUNNING' and (lease_expires_at is null or lease_expires_at < ?))
             order by seq
             limit ?
               for update skip locked""")
            .params(Timestamp.from(now), CANDIDATES)
            .query(
                (rs, i) ->
                    new Candidate(
                        rs.getObject("id", UUID.class),
                        rs.getString("base_model"),
                        JobState.valueOf(rs.getString("state")),
                        rs.getInt("attempts"),
                        rs.getString("spec"),
                        rs.getString("result_adapter"),
                        rs.getInt("result_version"),
                        rs.getString("error")))
            .list();
    Map<String, Integer> free = new HashMap<>(room.freeByBaseModel());
    int newModels = room.newBaseModels();
    List<Claimed> claimed = new ArrayList<>();
    for (Candidate c : candidates) {
      if (c.attempts() >= maxAttempts) {
        giveUp(c, maxAttempts, now);
        continue;
      }
      Integer places = free.get(c.baseModel());
      if (places == null) {
        if (newModels == 0) {
          continue;
        }
        newModels--;
        places = room.maxFusedJobs();
      }
      if (places == 0) {
        continue;
      }
      free.put(c.baseModel(), places - 1);
      jdbc.sql(
              """
          update training.job
             set state = 'RUNNING', worker = ?, lease_expires_at = ?, heartbeat_at = ?,
                 attempts = attempts + 1, updated_at = ?
           where id = ?""")
          .params(
              worker,
              Timestamp.from(now.plus(lease)),
              Timestamp.from(now),
              Timestamp.from(now),
              c.id())
          .update();
      if (c.state() == JobState.QUEUED) {
        jobs.recordTransition(c.id(), c.baseModel(), JobState.QUEUED, JobState.RUNNING, null, now);
      }
      table.addEvent(c.id(), "claimed", Map.of("jobId", c.id().toString(), "worker", worker), now);
      log.info(
          "job claimed: jobId={} worker={} attempt={} baseModel={}",
          c.id(),
          worker,
          c.attempts() + 1,
          c.baseModel());
      claimed.add(
          new Claimed(
              c.id(),
              c.baseModel(),
              json.readValue(c.spec(), JobRequest.class),
              c.attempts() + 1,
              c.resultAdapter() == null
                  ? null
                  : new Job.JobResult(c.resultAdapter(), c.resultVersion())));
    }
    return claimed;
  }

  private void giveUp(Candidate c, int maxAttempts, Instant now) {
    String reason =
        "gave up after "
            + maxAttempts
            + " attempts"
            + (c.error() == null ? ": the last worker's lease expired" : ": " + c.error());
    if (table.transition(c.id(), JobState.FAILED, reason, now)) {
      jobs.recordTransition(c.id(), c.baseModel(), c.state(), JobState.FAILED, reason, now);
      log.warn("job failed: jobId={} reason={}", c.id(), reason);
    }
  }

  /**
   * Renews {@code worker}'s leases on {@code held}; returns the ids it no longer holds (cancelled,
   * ended, or taken over after its lease ran out): the worker must stop training them.
   */
  public Set<UUID> renew(String worker, Collection<UUID> held, Duration lease) {
    if (held.isEmpty()) {
      return Set.of();
    }
    Instant now = now();
    var kept =
        jdbc.sql(
                """
            update training.job set lease_expires_at = ?, heartbeat_at = ?
             where worker = ? and state = 'RUNNING' and id = any(?)
            returning id""")
            .params(
                Timestamp.from(now.plus(lease)),
                Timestamp.from(now),
                worker,
                held.toArray(UUID[]::new))
            .query(UUID.class)
            .list();
    Set<UUID> lost = new HashSet<>(held);
    kept.forEach(lost::remove);
    return lost;
  }

  /**
   * Gives a job back without ending it (its worker stops, or training it failed): any worker may
   * claim it at once and resume it from its checkpoint. {@code error}, when given, is kept as the
   * reason should the job run out of attempts.
   */
  public void release(UUID id, String worker, @Nullable String error) {
    jdbc.sql(
            """
        update training.job set worker = null, lease_expires_at = null,
               error = coalesce(?, error), updated_at = ?
         where id = ? and worker = ? and state = 'RUNNING'""")
        .params(error, Timestamp.from(now()), id, worker)
        .update();
  }

  /** Whether {@code worker} still holds {@code id} (a RUNNING job under its lease). */
  public boolean holds(UUID id, String worker) {
    return jdbc.sql(
                "select count(*) from training.job where id = ? and worker = ? and state = 'RUNNING'")
            .params(id, worker)
            .query(Integer.class)
            .single()
        == 1;
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MICROS);
  }
}
