package io.adapterplatform.training.job;

import io.adapterplatform.training.TrainingProperties;
import io.adapterplatform.training.events.TrainingEvent;
import io.adapterplatform.training.events.TrainingOutbox;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a worker writes about the jobs it holds: progress and the jobs it was fused with (the job
 * row), the loss curve ({@code job_metric}, {@code job_eval}), checkpoints ({@code
 * job_checkpoint}), the published result, and the stored events that {@code GET /jobs/{id}/events}
 * streams, with their Kafka events on {@code training.events} (progress throttled). Every write is
 * guarded by the worker's lease: a worker that lost a job writes nothing.
 */
@Component
public class JobReports {

  private static final Logger log = LoggerFactory.getLogger(JobReports.class);

  /** One step of one job, as the worker saw it. */
  public record Step(
      int step,
      int totalSteps,
      double loss,
      double auxLoss,
      double learningRate,
      double gradNorm,
      double tokensPerSecond,
      List<String> fusedWith,
      @Nullable Instant eta) {}

  private final JdbcClient jdbc;
  private final Jobs table;
  private final JobService jobs;
  private final JsonMapper json;
  private final TrainingOutbox outbox;
  private final ProgressThrottle progressEvents;
  private final Clock clock = Clock.systemUTC();

  JobReports(
      JdbcClient jdbc,
      Jobs table,
      JobService jobs,
      JsonMapper json,
      TrainingOutbox outbox,
      TrainingProperties properties) {
    this.jdbc = jdbc;
    this.table = table;
    this.jobs = jobs;
    this.json = json;
    this.outbox = outbox;
    this.progressEvents = new ProgressThrottle(properties.progressEventInterval());
  }

  /**
   * Records steps of one job, in one transaction: progress and {@code fusedWith} from them, the
   * first loss, their metric rows and events, and (throttled) a Kafka progress event for the last.
   * False when the job is no longer this worker's.
   */
  @Transactional
  public boolean steps(UUID id, String worker, List<Step> steps) {
    if (steps.isEmpty()) {
      return true;
    }
    var row =
        jdbc.sql(
                "select fused_with, metrics, base_model from training.job"
                    + " where id = ? and worker = ? and state = 'RUNNING' for update")
            .params(id, worker)
            .query(
                (rs, i) ->
                    new String[] {
                      rs.getString("fused_with"),
                      rs.getString("metrics"),
                      rs.getString("base_model")
                    })
            .optional();
    if (row.isEmpty()) {
      return false;
    }
    var fused = new LinkedHashSet<String>();
    if (row.get()[0] != null) {
      fused.addAll(json.readValue(row.get()[0], new TypeReference<List<String>>() {}));
    }
    var metrics =
        row.get()[1] == null
            ? Job.JobMetrics.NONE
            : json.readValue(row.get()[1], Job.JobMetrics.class);
    // A step run again after a resume replaces the row of its first run.
    var byStep = new TreeMap<Integer, Step>();
    for (Step s : steps) {
      fused.addAll(s.fusedWith());
      byStep.put(s.step(), s);
      if (metrics.initialLoss() == null && s.step() == 1) {
        metrics = new Job.JobMetrics(s.loss(), metrics.finalLoss(), metrics.evalLoss());
      }
    }
    Step last = steps.getLast();
    var progress =
        new Job.JobProgress(
            last.step(), last.totalSteps(), last.loss(), last.tokensPerSecond(), last.eta());
    Instant now = now();
    jdbc.sql(
            """
        update training.job set progress = ?, fused_with = ?, metrics = ?, updated_at = ?
         where id = ?""")
        .params(
            json.writeValueAsString(progress),
            json.writeValueAsString(List.copyOf(fused)),
            json.writeValueAsString(metrics),
            Timestamp.from(now),
            id)
        .update();
    var values = new ArrayList<Object>();
    for (Step s : byStep.values()) {
      values.addAll(
          List.of(
              id,
              s.step(),
              s.loss(),
              s.auxLoss(),
              s.learningRate(),
              s.gradNorm(),
              s.tokensPerSecond()));
    }
    jdbc.sql(
            """
        insert into training.job_metric
               (job_id, step, loss, aux_loss, learning_rate, grad_norm, tokens_per_second)
        values """
                + String.join(", ", Collections.nCopies(byStep.size(), "(?, ?, ?, ?, ?, ?, ?)"))
                + """

        on conflict (job_id, step) do update
           set loss = excluded.loss, aux_loss = excluded.aux_loss,
               learning_rate = excluded.learning_rate, grad_norm = excluded.grad_norm,
               tokens_per_second = excluded.tokens_per_second""")
        .params(values)
        .update();
    table.addEvents(
        id,
        "progress",
        steps.stream()
            .<Object>map(
                s ->
                    Map.of(
                        "jobId", id.toString(),
                        "step", s.step(),
                        "totalSteps", s.totalSteps(),
                        "loss", s.loss(),
                        "tokensPerSecond", s.tokensPerSecond()))
            .toList(),
        now);
    if (progressEvents.due(id, last.step(), last.totalSteps(), now)) {
      outbox.progressed(
          new TrainingEvent.JobProgressed(
              id.toString(),
              row.get()[2],
              last.step(),
              last.totalSteps(),
              last.loss(),
              last.tokensPerSecond(),
              last.eta()));
    }
    return true;
  }

  /** A checkpoint after {@code step} steps is in the object store. */
  @Transactional
  public void checkpoint(UUID id, int step, String sha256, long size) {
    Instant now = now();
    jdbc.sql(
            """
        insert into training.job_checkpoint (job_id, step, sha256, size, created_at)
        values (?, ?, ?, ?, ?)
        on conflict (job_id, step) do update
           set sha256 = excluded.sha256, size = excluded.size, created_at = excluded.created_at""")
        .params(id, step, sha256, size, Timestamp.from(now))
        .update();
    table.addEvent(
        id, "checkpoint", Map.of("jobId", id.toString(), "step", step, "sha256", sha256), now);
    outbox.checkpointed(
        new TrainingEvent.JobCheckpointed(id.toString(), baseModel(id), step, sha256, size));
  }

  /** The job's checkpoints were removed from the object store. */
  @Transactional
  public void checkpointsDeleted(UUID id) {
    jdbc.sql("delete from training.job_checkpoint where job_id = ?").param(id).update();
  }

  /** The loss on the held-out examples after {@code step} steps. */
  @Transactional
  public void eval(UUID id, int step, double evalLoss) {
    jdbc.sql(
            """
        insert into training.job_eval (job_id, step, eval_loss) values (?, ?, ?)
        on conflict (job_id, step) do update set eval_loss = excluded.eval_loss""")
        .params(id, step, evalLoss)
        .update();
    outbox.evaluated(new TrainingEvent.JobEvaluated(id.toString(), baseModel(id), step, evalLoss));
  }

  /**
   * Records the published version and the final metrics, before the job SUCCEEDS: a worker that
   * takes the job over later finds it and publishes nothing more.
   */
  @Transactional
  public boolean published(
      UUID id, String worker, String adapter, int version, double finalLoss, Double evalLoss) {
    var metrics =
        jdbc.sql(
                "select metrics from training.job where id = ? and worker = ? and state = 'RUNNING'")
            .params(id, worker)
            .query(String.class)
            .optional();
    if (metrics.isEmpty()) {
      return false;
    }
    var before =
        metrics.get() == null
            ? Job.JobMetrics.NONE
            : json.readValue(metrics.get(), Job.JobMetrics.class);
    var after = new Job.JobMetrics(before.initialLoss(), finalLoss, evalLoss);
    jdbc.sql(
            """
        update training.job set result_adapter = ?, result_version = ?, metrics = ?, updated_at = ?
         where id = ?""")
        .params(adapter, version, json.writeValueAsString(after), Timestamp.from(now()), id)
        .update();
    return true;
  }

  /** The job's metrics as recorded so far (the initial loss, for the lineage). */
  public Job.JobMetrics metrics(UUID id) {
    String m =
        jdbc.sql("select metrics from training.job where id = ?")
            .param(id)
            .query(String.class)
            .optional()
            .orElse(null);
    return m == null ? Job.JobMetrics.NONE : json.readValue(m, Job.JobMetrics.class);
  }

  /** RUNNING → SUCCEEDED, with its stored event and outbox row; false when it was not RUNNING. */
  @Transactional
  public boolean succeeded(UUID id, String baseModel) {
    Instant now = now();
    if (!table.transition(id, JobState.SUCCEEDED, null, now)) {
      return false;
    }
    jdbc.sql("update training.job set lease_expires_at = null, error = null where id = ?")
        .param(id)
        .update();
    jobs.recordTransition(id, baseModel, JobState.RUNNING, JobState.SUCCEEDED, null, now);
    log.info("job state changed: jobId={} from=RUNNING to=SUCCEEDED", id);
    return true;
  }

  /** The job's state now. */
  public JobState state(UUID id) {
    return JobState.valueOf(
        jdbc.sql("select state from training.job where id = ?")
            .param(id)
            .query(String.class)
            .single());
  }

  private String baseModel(UUID id) {
    return jdbc.sql("select base_model from training.job where id = ?")
        .param(id)
        .query(String.class)
        .single();
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MICROS);
  }
}
