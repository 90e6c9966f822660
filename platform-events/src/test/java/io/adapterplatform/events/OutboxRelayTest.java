package io.adapterplatform.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.adapterplatform.embedded.BackendEndpoints;
import io.adapterplatform.embedded.PlatformBackends;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

@SpringBootTest(
    classes = EventsTestApplication.class,
    properties = {
      "spring.kafka.client-id=events-test",
      "spring.kafka.consumer.auto-offset-reset=earliest"
    })
@PlatformBackends
class OutboxRelayTest {

  private static final EventCodec CODEC = EventCodec.forSealed(TestEvents.class);

  @Autowired EventOutbox<TestEvents> alphaOutbox;
  @Autowired EventOutbox<TestEvents> betaOutbox;
  @Autowired OutboxRelay alphaOutboxRelay;
  @Autowired OutboxRelay betaOutboxRelay;
  @Autowired JdbcClient jdbc;
  @Autowired PlatformTransactionManager transactions;
  @Autowired ProducerFactory<?, ?> producers;

  @Test
  void publishesEnvelopesInOrderPerKeyWithTheirIdAsHeader(BackendEndpoints backends) {
    var key = "k-" + UUID.randomUUID();
    var tx = new TransactionTemplate(transactions);
    var appended = new ArrayList<EventEnvelope<TestEvents>>();
    tx.executeWithoutResult(s -> appended.add(alphaOutbox.append(new TestEvents.Step(key, 1))));
    tx.executeWithoutResult(
        s -> {
          appended.add(alphaOutbox.append(new TestEvents.Note(key, "between")));
          appended.add(alphaOutbox.append(new TestEvents.Step(key, 2)));
        });

    var records =
        mine(
            Kafka.read(
                backends.kafkaBootstrapServers(),
                EventsTestApplication.ALPHA_TOPIC,
                r -> mine(r, key).size() >= 3),
            key);

    assertThat(records)
        .<Object>extracting(r -> CODEC.read(r.value()).orElseThrow())
        .containsExactlyElementsOf(List.copyOf(appended));
    assertThat(records)
        .extracting(
            r ->
                new String(
                    r.headers().lastHeader(OutboxRelay.HEADER_ID).value(), StandardCharsets.UTF_8))
        .containsExactlyElementsOf(appended.stream().map(e -> e.id().toString()).toList());
    var first = appended.getFirst();
    assertThat(first.type()).isEqualTo("STEP");
    assertThat(first.schemaVersion()).isEqualTo(2);
    assertThat(records.getFirst().value())
        .contains("\"payload\":{\"key\":\"" + key + "\",\"seq\":1}");
  }

  @Test
  void refusesAnEventOutsideATransaction() {
    assertThatThrownBy(() -> alphaOutbox.append(new TestEvents.Step("k", 1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("transaction");
  }

  @Test
  void twoServicesInOneContextKeepTheirOwnTablesTopicsThreadsAndClientIds(
      BackendEndpoints backends) {
    var key = "k-" + UUID.randomUUID();
    var tx = new TransactionTemplate(transactions);

    tx.executeWithoutResult(
        s -> {
          alphaOutbox.append(new TestEvents.Note(key, "for alpha"));
          betaOutbox.append(new TestEvents.Note(key, "for beta"));
        });

    var alpha =
        mine(
            Kafka.read(
                backends.kafkaBootstrapServers(),
                EventsTestApplication.ALPHA_TOPIC,
                r -> !mine(r, key).isEmpty()),
            key);
    var beta =
        mine(
            Kafka.read(
                backends.kafkaBootstrapServers(),
                EventsTestApplication.BETA_TOPIC,
                r -> !mine(r, key).isEmpty()),
            key);
    assertThat(alpha).singleElement().satisfies(r -> assertThat(r.value()).contains("for alpha"));
    assertThat(beta).singleElement().satisfies(r -> assertThat(r.value()).contains("for beta"));
    assertThat(Thread.getAllStackTraces().keySet())
        .extracting(Thread::getName)
        .contains("alpha-outbox-relay", "beta-outbox-relay");
    // spring.kafka.* reaches the relay's producer; its own name keeps two relays' client ids apart.
    assertThat(alphaOutboxRelay.producerConfiguration())
        .containsEntry(ProducerConfig.CLIENT_ID_CONFIG, "events-test-alpha-outbox-relay")
        .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
        .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    assertThat(betaOutboxRelay.producerConfiguration())
        .containsEntry(ProducerConfig.CLIENT_ID_CONFIG, "events-test-beta-outbox-relay");
  }

  @Test
  void keepsRowsWhileKafkaIsUnreachableAndSendsThemOnceItAnswers(BackendEndpoints backends) {
    var topic = "down-" + UUID.randomUUID();
    var outbox =
        new EventOutbox<TestEvents>(jdbc, "down_outbox", topic, TestEvents::key, Clock.systemUTC());
    Map<String, Object> unreachable = new HashMap<>(producers.getConfigurationProperties());
    unreachable.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9");
    unreachable.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 500);
    var down =
        new OutboxRelay(
            "down",
            "down_outbox",
            jdbc,
            transactions,
            new DefaultKafkaProducerFactory<>(unreachable),
            Duration.ofSeconds(1));
    var up =
        new OutboxRelay(
            "down", "down_outbox", jdbc, transactions, producers, Duration.ofSeconds(1));
    new TransactionTemplate(transactions)
        .executeWithoutResult(s -> outbox.append(new TestEvents.Step("k", 1)));

    var sentWhileDown = down.relayOnce();

    assertThat(sentWhileDown).isFalse();
    assertThat(unpublished("down_outbox", topic)).isEqualTo(1);

    var sentOnceUp = up.relayOnce();

    assertThat(sentOnceUp).isTrue();
    assertThat(unpublished("down_outbox", topic)).isZero();
    assertThat(Kafka.read(backends.kafkaBootstrapServers(), topic, r -> !r.isEmpty()))
        .singleElement()
        .satisfies(
            r ->
                assertThat(CODEC.read(r.value()).orElseThrow().payload())
                    .isEqualTo(new TestEvents.Step("k", 1)));
  }

  @Test
  void replicasDrainingOneOutboxSendEveryEventOnceInOrderPerKey(BackendEndpoints backends)
      throws Exception {
    var topic = "replicas-" + UUID.randomUUID();
    var outbox =
        new EventOutbox<TestEvents>(
            jdbc, "replica_outbox", topic, TestEvents::key, Clock.systemUTC());
    var replicas =
        List.of(
            new OutboxRelay(
                "replica",
                "replica_outbox",
                jdbc,
                transactions,
                producers,
                Duration.ofMillis(10),
                7),
            new OutboxRelay(
                "replica",
                "replica_outbox",
                jdbc,
                transactions,
                producers,
                Duration.ofMillis(10),
                7));
    var keys = List.of("a", "b", "c", "d");
    int perKey = 40;
    var appending = new AtomicBoolean(true);
    var tx = new TransactionTemplate(transactions);

    try (var pool = Executors.newFixedThreadPool(2)) {
      for (var relay : replicas) {
        pool.submit(
            () -> {
              while (appending.get() || unpublished("replica_outbox", topic) > 0) {
                relay.relayOnce();
                Thread.sleep(5); // leaves the appender some of this 2-core machine
              }
              return null;
            });
      }
      for (int seq = 1; seq <= perKey; seq++) {
        final int s = seq;
        tx.executeWithoutResult(st -> keys.forEach(k -> outbox.append(new TestEvents.Step(k, s))));
      }
      appending.set(false);
    }

    var records =
        Kafka.read(backends.kafkaBootstrapServers(), topic, r -> r.size() >= keys.size() * perKey);
    var seqs = new HashMap<String, List<Integer>>();
    for (var r : records) {
      var step = (TestEvents.Step) CODEC.read(r.value()).orElseThrow().payload();
      seqs.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(step.seq());
    }
    var expected = java.util.stream.IntStream.rangeClosed(1, perKey).boxed().toList();
    assertThat(seqs).containsOnlyKeys(keys);
    seqs.values().forEach(s -> assertThat(s).containsExactlyElementsOf(expected));
  }

  private int unpublished(String table, String topic) {
    return jdbc.sql("select count(*) from " + table + " where topic = ? and published_at is null")
        .param(topic)
        .query(Integer.class)
        .single();
  }

  private static List<ConsumerRecord<String, String>> mine(
      List<ConsumerRecord<String, String>> records, String key) {
    return records.stream().filter(r -> key.equals(r.key())).toList();
  }
}
