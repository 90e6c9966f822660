package io.adapterplatform.training.events;

import io.adapterplatform.events.EventEnvelope;
import io.adapterplatform.events.EventOutbox;
import io.adapterplatform.events.OutboxRelay;
import io.adapterplatform.training.TrainingProperties;
import java.time.Clock;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * The training service's transactional outbox ({@code training.outbox}): submitted jobs go to
 * {@code training.jobs} keyed by base model; state transitions, progress, eval points and
 * checkpoints to {@code training.events} keyed by job id. The training relay ({@link
 * TrainingEventsConfiguration}) publishes them all.
 */
@Component
public class TrainingOutbox {

  static final String TABLE = "training.outbox";

  private final EventOutbox<TrainingEvent.JobSubmitted> jobs;
  // Keyed by job id for every kind of event, so that one job's events keep their order.
  private final EventOutbox<TrainingEvent> events;

  TrainingOutbox(JdbcClient jdbc, TrainingProperties properties) {
    this.jobs =
        new EventOutbox<>(
            jdbc,
            TABLE,
            properties.jobsTopic(),
            TrainingEvent.JobSubmitted::baseModel,
            Clock.systemUTC());
    this.events =
        new EventOutbox<>(
            jdbc, TABLE, properties.eventsTopic(), TrainingEvent::jobId, Clock.systemUTC());
  }

  @Transactional(propagation = Propagation.MANDATORY)
  public EventEnvelope<TrainingEvent.JobSubmitted> submitted(TrainingEvent.JobSubmitted event) {
    return jobs.append(event);
  }

  @Transactional(propagation = Propagation.MANDATORY)
  public EventEnvelope<TrainingEvent.JobStateChanged> stateChanged(
      TrainingEvent.JobStateChanged event) {
    return events.append(event);
  }

  @Transactional(propagation = Propagation.MANDATORY)
  public EventEnvelope<TrainingEvent.JobProgressed> progressed(TrainingEvent.JobProgressed event) {
    return events.append(event);
  }

  @Transactional(propagation = Propagation.MANDATORY)
  public EventEnvelope<TrainingEvent.JobEvaluated> evaluated(TrainingEvent.JobEvaluated event) {
    return events.append(event);
  }

  @Transactional(propagation = Propagation.MANDATORY)
  public EventEnvelope<TrainingEvent.JobCheckpointed> checkpointed(
      TrainingEvent.JobCheckpointed event) {
    return events.append(event);
  }

  /** Kept as a name for {@link OutboxRelay}'s lock and thread. */
  static final String RELAY = "training";
}
