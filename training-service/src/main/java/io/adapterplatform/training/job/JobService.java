package io.adapterplatform.training.job;

import io.adapterplatform.training.events.TrainingEvent;
import io.adapterplatform.training.events.TrainingOutbox;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.page.Cursors;
import io.adapterplatform.web.problem.ApiException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/**
 * Jobs and their state machine. Every change of state happens in one transaction with its stored
 * event (what {@code GET /jobs/{id}/events} streams) and its outbox row for {@code
 * training.events}; a submission adds the outbox row that queues the job on {@code training.jobs}.
 */
@Service
class JobService {

  private static final Logger log = LoggerFactory.getLogger(JobService.class);
  static final String STATE_EVENT = "state";

  /** The data of a stored {@code state} event. */
  record StateEvent(String jobId, String state, @Nullable String from, @Nullable String error) {}

  private final Jobs jobs;
  private final TrainingOutbox outbox;
  private final JsonMapper json;
  private final ApplicationEventPublisher events;
  private final Clock clock = Clock.systemUTC();

  JobService(Jobs jobs, TrainingOutbox outbox, JsonMapper json, ApplicationEventPublisher events) {
    this.jobs = jobs;
    this.outbox = outbox;
    this.json = json;
    this.events = events;
  }

  /** Stores a checked job as QUEUED and queues it, in one transaction. */
  @Transactional
  public Job submit(Caller caller, JobRequest spec) {
    var id = UUID.randomUUID();
    var now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    jobs.insert(id, spec, caller.actor(), now);
    outbox.submitted(
        new TrainingEvent.JobSubmitted(
            id.toString(),
            spec.baseModel(),
            spec.output().adapter(),
            json.writeValueAsString(spec)));
    recordTransition(id, spec.baseModel(), null, JobState.QUEUED, null, now);
    events.publishEvent(new JobQueued(id.toString(), spec.baseModel()));
    log.info(
        "job queued: jobId={} baseModel={} method={} output={}",
        id,
        spec.baseModel(),
        spec.method(),
        spec.output().adapter());
    return jobs.find(caller, id).orElseThrow();
  }

  /** Moves a job to {@code to}; 409 when its state does not allow it. */
  @Transactional
  public Job transition(Caller caller, UUID id, JobState to, @Nullable String error) {
    var job = get(caller, id);
    var now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    if (!jobs.transition(id, to, error, now)) {
      var current = get(caller, id).state();
      throw ApiException.conflict(
          "invalid-state-transition", "job " + id + " is " + current + "; it cannot become " + to);
    }
    recordTransition(id, job.baseModel(), job.state(), to, error, now);
    log.info("job state changed: jobId={} from={} to={}", id, job.state(), to);
    return get(caller, id);
  }

  void recordTransition(
      UUID id,
      String baseModel,
      @Nullable JobState from,
      JobState to,
      @Nullable String error,
      Instant at) {
    String fromName = from == null ? null : from.name();
    jobs.addEvent(id, STATE_EVENT, new StateEvent(id.toString(), to.name(), fromName, error), at);
    outbox.stateChanged(
        new TrainingEvent.JobStateChanged(id.toString(), baseModel, fromName, to.name(), error));
  }

  @Transactional
  public Job cancel(Caller caller, UUID id) {
    return transition(caller, id, JobState.CANCELLED, null);
  }

  Job get(Caller caller, UUID id) {
    return jobs.find(caller, id).orElseThrow(() -> ApiException.notFound("job " + id));
  }

  JobPage list(Caller caller, @Nullable JobState state, Integer limit, String cursor) {
    int size = Cursors.limit(limit);
    long before = cursor == null ? Long.MAX_VALUE : Cursors.decodeLong(cursor);
    var rows = jobs.page(caller, state, before, size + 1);
    return new JobPage(
        List.copyOf(rows.subList(0, Math.min(size, rows.size()))),
        Cursors.next(rows, size, job -> jobs.seqOf(job.id())));
  }

  JobCurves.LossCurve metrics(Caller caller, UUID id) {
    get(caller, id);
    return new JobCurves.LossCurve(id.toString(), jobs.steps(id), jobs.evals(id));
  }

  JobCurves.CheckpointList checkpoints(Caller caller, UUID id) {
    get(caller, id);
    return new JobCurves.CheckpointList(id.toString(), jobs.checkpoints(id));
  }

  List<Jobs.StoredEvent> eventsAfter(UUID id, long afterId) {
    return jobs.eventsAfter(id, afterId);
  }
}
