package io.adapterplatform.events;

import java.time.Clock;
import java.time.Duration;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * Two services in one context, as the one-JVM launcher composes them: each declares its outbox and
 * relay under its own bean names, tables, topics and thread.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
class EventsTestApplication {

  static final String ALPHA_TOPIC = "alpha.events";
  static final String BETA_TOPIC = "beta.events";

  @Bean
  TestTables testTables(JdbcClient jdbc) {
    return new TestTables(jdbc);
  }

  @Bean
  EventOutbox<TestEvents> alphaOutbox(JdbcClient jdbc, TestTables tables) {
    return new EventOutbox<>(jdbc, "alpha_outbox", ALPHA_TOPIC, TestEvents::key, Clock.systemUTC());
  }

  @Bean
  OutboxRelay alphaOutboxRelay(
      JdbcClient jdbc,
      PlatformTransactionManager tx,
      ProducerFactory<?, ?> producers,
      TestTables tables) {
    return new OutboxRelay("alpha", "alpha_outbox", jdbc, tx, producers, Duration.ofMillis(100));
  }

  @Bean
  EventOutbox<TestEvents> betaOutbox(JdbcClient jdbc, TestTables tables) {
    return new EventOutbox<>(jdbc, "beta_outbox", BETA_TOPIC, TestEvents::key, Clock.systemUTC());
  }

  @Bean
  OutboxRelay betaOutboxRelay(
      JdbcClient jdbc,
      PlatformTransactionManager tx,
      ProducerFactory<?, ?> producers,
      TestTables tables) {
    return new OutboxRelay("beta", "beta_outbox", jdbc, tx, producers, Duration.ofMillis(100));
  }

  /**
   * Creates the tables once per database (the test JVM's PostgreSQL is shared by every context).
   */
  static final class TestTables {
    TestTables(JdbcClient jdbc) {
      for (var table :
          new String[] {"alpha_outbox", "beta_outbox", "replica_outbox", "down_outbox"}) {
        if (!exists(jdbc, table)) {
          jdbc.sql(EventTables.outbox(table)).update();
        }
      }
      if (!exists(jdbc, "test_inbox")) {
        jdbc.sql(EventTables.inbox("test_inbox")).update();
        jdbc.sql("create table test_effects (event_id uuid not null, note text not null)").update();
      }
    }

    private static boolean exists(JdbcClient jdbc, String table) {
      return jdbc.sql("select to_regclass(?) is not null")
          .param(table)
          .query(Boolean.class)
          .single();
    }
  }
}
