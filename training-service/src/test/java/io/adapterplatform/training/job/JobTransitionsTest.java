package io.adapterplatform.training.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.adapterplatform.training.TrainingTestBase;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.auth.Role;
import io.adapterplatform.web.problem.ApiException;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

/** The state machine as a worker will drive it, through the service. */
class JobTransitionsTest extends TrainingTestBase {

  @Autowired JobService jobs;
  @Autowired JdbcClient jdbc;

  private final Caller worker = new Caller(0, "worker", Set.of(Role.ADMIN));

  private Job queued() {
    var spec =
        new JobRequest(
            "some-base",
            "data@1",
            null,
            new JobRequest.JobOutput("out-" + UUID.randomUUID(), null),
            JobMethod.LORA,
            new JobRequest.LoraSpec(4, 8.0, 0.0, List.of("q_proj"), false),
            null,
            null,
            new JobRequest.TrainingSpec(10, null, 1, 1, 0.001, 0, "linear", 16, 0L, 0.0, null, 10));
    return jobs.submit(worker, spec);
  }

  @Test
  void aRunningJobEndsOnceAndEveryMoveIsAnEventAndAnOutboxRow() {
    var job = queued();
    var id = UUID.fromString(job.id());

    jobs.transition(worker, id, JobState.RUNNING, null);
    var failed = jobs.transition(worker, id, JobState.FAILED, "out of memory");
    var late =
        catchThrowableOfType(
            ApiException.class, () -> jobs.transition(worker, id, JobState.SUCCEEDED, null));

    assertThat(failed.state()).isEqualTo(JobState.FAILED);
    assertThat(failed.error()).isEqualTo("out of memory");
    assertThat(late.status().value()).isEqualTo(409);
    assertThat(jobs.get(worker, id).state()).isEqualTo(JobState.FAILED);
    assertThat(jobs.eventsAfter(id, 0))
        .extracting(e -> JSON.readTree(e.data()).get("state").asString())
        .containsExactly("QUEUED", "RUNNING", "FAILED");
    assertThat(
            jdbc.sql(
                    "select count(*) from training.outbox where topic = 'training.events' and event_key = ?")
                .param(job.id())
                .query(Long.class)
                .single())
        .isEqualTo(3);
  }

  @Test
  void aRunningJobCanBeCancelled() {
    var id = UUID.fromString(queued().id());

    jobs.transition(worker, id, JobState.RUNNING, null);

    assertThat(jobs.cancel(worker, id).state()).isEqualTo(JobState.CANCELLED);
  }
}
