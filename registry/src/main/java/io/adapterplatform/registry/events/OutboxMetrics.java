package io.adapterplatform.registry.events;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The outbox's lag, read from the table on every scrape: how many events are not yet on Kafka and
 * how old the oldest of them is (0 when none wait). A growing age means the relay is stuck (Kafka
 * unreachable).
 */
@Component
class OutboxMetrics implements MeterBinder {

  private final JdbcClient jdbc;

  OutboxMetrics(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Gauge.builder("registry.outbox.unsent", this, OutboxMetrics::unsent)
        .description("events written to the outbox and not yet published to Kafka")
        .register(registry);
    Gauge.builder("registry.outbox.oldest.age", this, OutboxMetrics::oldestAgeSeconds)
        .baseUnit("seconds")
        .description("age of the oldest unpublished outbox event, 0 when none waits")
        .register(registry);
  }

  private double unsent() {
    return jdbc.sql("select count(*) from outbox where published_at is null")
        .query(Long.class)
        .single();
  }

  private double oldestAgeSeconds() {
    double age =
        jdbc.sql(
                """
        select coalesce(extract(epoch from now() - min(created_at))::float8, 0) from outbox
        where published_at is null""")
            .query(Double.class)
            .single();
    return Math.max(0, age);
  }
}
