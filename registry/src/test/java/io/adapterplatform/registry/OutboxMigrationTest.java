package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.adapterplatform.embedded.BackendEndpoints;
import io.adapterplatform.embedded.BackendsExtension;
import io.adapterplatform.events.EventCodec;
import io.adapterplatform.registry.events.RegistryEvent;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * V110 turns events that waited in the outbox across the upgrade into envelopes the new consumers
 * read.
 */
@ExtendWith(BackendsExtension.class)
class OutboxMigrationTest {

  @Test
  void eventsWaitingInTheOutboxBeforeTheEnvelopeAreSentAsEnvelopes(BackendEndpoints backends)
      throws Exception {
    var database = "upgrade_" + UUID.randomUUID().toString().replace("-", "");
    try (var admin =
            DriverManager.getConnection(
                backends.jdbcUrl(), backends.jdbcUsername(), backends.jdbcPassword());
        var create = admin.createStatement()) {
      create.execute("create database " + database);
    }
    var url = backends.jdbcUrl().substring(0, backends.jdbcUrl().lastIndexOf('/') + 1) + database;
    var before =
        Flyway.configure()
            .dataSource(url, backends.jdbcUsername(), backends.jdbcPassword())
            .locations(RegistryDatabase.LOCATION)
            .target("101")
            .load();
    before.migrate();
    try (var c =
            DriverManager.getConnection(url, backends.jdbcUsername(), backends.jdbcPassword());
        var insert =
            c.prepareStatement(
                "insert into outbox (topic, event_key, payload) values ('registry.events', ?, ?)")) {
      insert.setString(1, "old-adapter");
      insert.setString(
          2,
          "{\"type\":\"VERSION_PUBLISHED\",\"adapter\":\"old-adapter\",\"version\":3,\"kind\":\"DORA\","
              + "\"at\":\"2026-11-30T10:15:30.123456Z\"}");
      insert.execute();
      insert.setString(
          2,
          "{\"type\":\"ALIAS_MOVED\",\"adapter\":\"old-adapter\",\"alias\":\"prod\",\"version\":3,"
              + "\"at\":\"2026-11-30T10:15:31Z\"}");
      insert.execute();
    }

    Flyway.configure()
        .dataSource(url, backends.jdbcUsername(), backends.jdbcPassword())
        .locations(RegistryDatabase.LOCATION)
        .load()
        .migrate();

    var envelopes = new ArrayList<String>();
    try (var c =
            DriverManager.getConnection(url, backends.jdbcUsername(), backends.jdbcPassword());
        var rows =
            c.createStatement()
                .executeQuery("select envelope, event_type, occurred_at from outbox order by id")) {
      while (rows.next()) {
        envelopes.add(rows.getString(1));
      }
    }
    var schema = EventsTest.registryEventsSchema();
    var json = new ObjectMapper();
    assertThat(envelopes)
        .hasSize(2)
        .allSatisfy(e -> assertThat(schema.validate(json.readTree(e))).as(e).isEmpty());
    var codec = EventCodec.forSealed(RegistryEvent.class);
    var first = codec.read(envelopes.get(0)).orElseThrow();
    assertThat(first.payload())
        .isEqualTo(new RegistryEvent.VersionPublished("old-adapter", 3, "DORA"));
    assertThat(first.occurredAt()).hasToString("2026-11-30T10:15:30.123456Z");
    assertThat(codec.read(envelopes.get(1)).orElseThrow().payload())
        .isEqualTo(new RegistryEvent.AliasMoved("old-adapter", "prod", 3, null));
  }
}
