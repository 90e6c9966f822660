package io.adapterplatform.training;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.events.OutboxRelay;
import io.adapterplatform.training.worker.WorkerSettings;
import io.adapterplatform.training.worker.Workers;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

class TrainingModuleTest extends TrainingTestBase {

  @Autowired ApplicationContext context;
  @Autowired JdbcClient jdbc;

  @Autowired Workers workers;

  @Test
  void theApiRoleStartsNoWorkerAndNoConsumer() {
    assertThat(context.getBean(WorkerSettings.class).role()).isEqualTo(WorkerSettings.Role.API);
    assertThat(workers.current()).isNull();
  }

  @Test
  void ownsItsSchemaFlywayHistoryAndRelayBesideTheRegistry() {
    assertThat(context.getBeansOfType(Flyway.class))
        .containsOnlyKeys("registryFlyway", "trainingFlyway");
    assertThat(context.getBeansOfType(OutboxRelay.class))
        .containsOnlyKeys("registryOutboxRelay", "trainingOutboxRelay");
    assertThat(
            jdbc.sql(
                    "select version from training.flyway_schema_history where success and version is not null")
                .query(String.class)
                .list())
        .containsExactly("1", "2", "3");
    assertThat(
            jdbc.sql(
                    "select table_name from information_schema.tables where table_schema = 'training'")
                .query(String.class)
                .list())
        .containsExactlyInAnyOrder(
            "flyway_schema_history",
            "dataset",
            "job",
            "job_event",
            "job_submission",
            "outbox",
            "job_metric",
            "job_eval",
            "job_checkpoint",
            "inbox");
  }
}
