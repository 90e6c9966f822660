package io.adapterplatform.training.job;

import io.adapterplatform.web.auth.Caller;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** The {@code training.job} and {@code training.job_event} tables. */
@Component
class Jobs {

  private static final String COLUMNS =
      "id, state, spec, attempts, progress, metrics, fused_with, worker, result_adapter,"
          + " result_version, error, created_at, updated_at";

  /** One stored event of a job: the SSE id, its type and JSON data. */
  record StoredEvent(long id, String type, String data) {}

  private record Scoped(String outputAdapter, Job job) {}

  private final JdbcClient jdbc;
  private final JsonMapper json;

  Jobs(JdbcClient jdbc, JsonMapper json) {
    this.jdbc = jdbc;
    this.json = json;
  }

  void insert(UUID id, JobRequest spec, String actor, Instant now) {
    jdbc.sql(
            """
        insert into training.job (id, state, base_model, output_adapter, spec, created_by,
                                  created_at, updated_at)
        values (?, 'QUEUED', ?, ?, ?, ?, ?, ?)""")
        .params(
            id,
            spec.baseModel(),
            spec.output().adapter(),
            json.writeValueAsString(spec),
            actor,
            Timestamp.from(now),
            Timestamp.from(now))
        .update();
  }

  /** The job, if it exists and its output adapter lies within {@code caller}'s scopes. */
  Optional<Job> find(Caller caller, UUID id) {
    return jdbc.sql("select " + COLUMNS + ", output_adapter from training.job where id = ?")
        .param(id)
        .query((rs, i) -> new Scoped(rs.getString("output_adapter"), row(rs)))
        .optional()
        .filter(s -> caller.sees(s.outputAdapter()))
        .map(Scoped::job);
  }

  List<Job> page(Caller caller, @Nullable JobState state, long beforeSeq, int limit) {
    return jdbc.sql(
            "select "
                + COLUMNS
                + """
         from training.job
        where seq < ? and (?::text is null or state = ?)
          and (cardinality(?::text[]) = 0 or exists
               (select 1 from unnest(?::text[]) p where starts_with(output_adapter, p)))
        order by seq desc
        limit ?""")
        .params(
            beforeSeq,
            state == null ? null : state.name(),
            state == null ? null : state.name(),
            scopes(caller),
            scopes(caller),
            limit)
        .query((rs, i) -> row(rs))
        .list();
  }

  long seqOf(String id) {
    return jdbc.sql("select seq from training.job where id = ?")
        .param(UUID.fromString(id))
        .query(Long.class)
        .single();
  }

  /**
   * Moves the job to {@code to} only from a state the enum allows; false when it was in another.
   */
  boolean transition(UUID id, JobState to, @Nullable String error, Instant now) {
    var sources = to.sources().stream().map(Enum::name).toArray(String[]::new);
    return jdbc.sql(
                """
        update training.job set state = ?, error = coalesce(?, error), updated_at = ?
        where id = ? and state = any(?::text[])""")
            .params(to.name(), error, Timestamp.from(now), id, sources)
            .update()
        == 1;
  }

  void addEvent(UUID jobId, String type, Object data, Instant at) {
    jdbc.sql("insert into training.job_event (job_id, type, data, occurred_at) values (?, ?, ?, ?)")
        .params(jobId, type, json.writeValueAsString(data), Timestamp.from(at))
        .update();
  }

  /** Events of one type, stored in the order given (their SSE ids follow it). */
  void addEvents(UUID jobId, String type, List<Object> data, Instant at) {
    if (data.isEmpty()) {
      return;
    }
    var params = new ArrayList<Object>();
    for (Object d : data) {
      params.addAll(List.of(jobId, type, json.writeValueAsString(d), Timestamp.from(at)));
    }
    jdbc.sql(
            "insert into training.job_event (job_id, type, data, occurred_at) values "
                + String.join(", ", Collections.nCopies(data.size(), "(?, ?, ?, ?)")))
        .params(params)
        .update();
  }

  List<StoredEvent> eventsAfter(UUID jobId, long afterId) {
    return jdbc.sql(
            "select id, type, data from training.job_event where job_id = ? and id > ? order by id")
        .params(jobId, afterId)
        .query(StoredEvent.class)
        .list();
  }

  List<JobCurves.StepPoint> steps(UUID jobId) {
    return jdbc.sql(
            """
        select step, loss, aux_loss, learning_rate, grad_norm, tokens_per_second
          from training.job_metric where job_id = ? order by step""")
        .param(jobId)
        .query(JobCurves.StepPoint.class)
        .list();
  }

  List<JobCurves.EvalPoint> evals(UUID jobId) {
    return jdbc.sql("select step, eval_loss from training.job_eval where job_id = ? order by step")
        .param(jobId)
        .query(JobCurves.EvalPoint.class)
        .list();
  }

  List<JobCurves.Checkpoint> checkpoints(UUID jobId) {
    return jdbc.sql(
            "select step, sha256, size, created_at from training.job_checkpoint"
                + " where job_id = ? order by step")
        .param(jobId)
        .query(
            (rs, i) ->
                new JobCurves.Checkpoint(
                    rs.getInt("step"),
                    rs.getString("sha256"),
                    rs.getLong("size"),
                    rs.getObject("created_at", OffsetDateTime.class).toInstant()))
        .list();
  }

  private static String[] scopes(Caller caller) {
    return caller.scopes().toArray(String[]::new);
  }

  private Job row(ResultSet rs) throws SQLException {
    String resultAdapter = rs.getString("result_adapter");
    String progress = rs.getString("progress");
    String metrics = rs.getString("metrics");
    String fusedWith = rs.getString("fused_with");
    return Job.of(
        rs.getObject("id", UUID.class).toString(),
        JobState.valueOf(rs.getString("state")),
        json.readValue(rs.getString("spec"), JobRequest.class),
        rs.getInt("attempts"),
        progress == null ? Job.JobProgress.NONE : json.readValue(progress, Job.JobProgress.class),
        metrics == null ? Job.JobMetrics.NONE : json.readValue(metrics, Job.JobMetrics.class),
        fusedWith == null ? List.of() : json.readValue(fusedWith, new TypeReference<>() {}),
        rs.getString("worker"),
        resultAdapter == null
            ? null
            : new Job.JobResult(resultAdapter, rs.getInt("result_version")),
        rs.getString("error"),
        rs.getObject("created_at", OffsetDateTime.class).toInstant(),
        rs.getObject("updated_at", OffsetDateTime.class).toInstant());
  }
}
