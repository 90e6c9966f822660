package io.adapterplatform.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.embedded.PlatformBackends;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.KafkaMessageListenerContainer;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The consumer side against the real Kafka and PostgreSQL: one event, however often delivered, acts
 * once.
 */
@SpringBootTest(
    classes = EventsTestApplication.class,
    properties = {
      "spring.kafka.client-id=events-test",
      "spring.kafka.consumer.auto-offset-reset=earliest"
    })
@PlatformBackends
class EventInboxTest {

  private static final EventCodec CODEC = EventCodec.forSealed(TestEvents.class);

  @Autowired JdbcClient jdbc;
  @Autowired PlatformTransactionManager transactions;
  @Autowired ConsumerFactory<String, String> consumers;
  @Autowired ProducerFactory<String, String> producers;
  @Autowired EventOutbox<TestEvents> alphaOutbox;

  private KafkaMessageListenerContainer<String, String> container;
  private final ConcurrentHashMap<UUID, AtomicInteger> attempts = new ConcurrentHashMap<>();

  @AfterEach
  void stopListening() {
    if (container != null) {
      container.stop();
    }
  }

  @Test
  void anEventSentTwiceIsHandledOnce() throws Exception {
    var topic = "dup-" + UUID.randomUUID();
    var twice = EventEnvelope.of(new TestEvents.Note("k", "twice"), Instant.now());
    var after = EventEnvelope.of(new TestEvents.Note("k", "after"), Instant.now());
    listen(topic, "dup", event -> {});
    var kafka = new KafkaTemplate<>(producers);

    for (var e : List.of(twice, twice, after)) {
      kafka.send(topic, "k", EventCodec.write(e)).get();
    }

    // One partition: once the later event took effect, both copies of the first were consumed.
    Kafka.await("the event after the duplicate", () -> effects(after.id()) == 1);
    assertThat(effects(twice.id())).isEqualTo(1);
    assertThat(attempts.get(twice.id())).hasValue(1);
  }

  @Test
  void aHandlerThatFailsIsRedeliveredAndItsEffectsCountOnce() throws Exception {
    var topic = "crash-" + UUID.randomUUID();
    var event = EventEnvelope.of(new TestEvents.Note("k", "crashes once"), Instant.now());
    listen(
        topic,
        "crash",
        e -> {
          if (attempts.get(e.id()).get() == 1) {
            throw new IllegalStateException(
                "crash after the effect was written, before the commit");
          }
        });

    new KafkaTemplate<>(producers).send(topic, "k", EventCodec.write(event)).get();

    Kafka.await("the redelivered event", () -> effects(event.id()) == 1);
    assertThat(attempts.get(event.id())).hasValue(2);
    assertThat(inboxRows("crash", event.id())).isEqualTo(1);
  }

  @Test
  void anOutboxEventRelayedAgainAfterACrashIsHandledOnce() throws Exception {
    var key = "again-" + UUID.randomUUID();
    var first =
        new TransactionTemplate(transactions)
            .execute(s -> alphaOutbox.append(new TestEvents.Note(key, "1")));
    listen(EventsTestApplication.ALPHA_TOPIC, "again-" + key, e -> {});
    Kafka.await("the first delivery", () -> effects(first.id()) == 1);

    // The relay crashed after Kafka acknowledged and before the row was marked: it sends the row
    // again.
    jdbc.sql("update alpha_outbox set published_at = null where event_id = ?")
        .param(first.id())
        .update();
    var second =
        new TransactionTemplate(transactions)
            .execute(s -> alphaOutbox.append(new TestEvents.Note(key, "2")));

    Kafka.await("the event after the resent one", () -> effects(second.id()) == 1);
    assertThat(
            jdbc.sql("select published_at is not null from alpha_outbox where event_id = ?")
                .param(first.id())
                .query(Boolean.class)
                .single())
        .isTrue();
    assertThat(effects(first.id())).isEqualTo(1);
    assertThat(attempts.get(first.id())).hasValue(1);
  }

  /**
   * Listens to {@code topic} from its start; the handler records an effect row, then runs {@code
   * then}.
   */
  private void listen(
      String topic, String consumer, DeduplicatingListener.Handler<TestEvents> then) {
    var inbox = new EventInbox(jdbc, "test_inbox", consumer);
    var listener =
        new DeduplicatingListener<>(
            CODEC,
            TestEvents.class,
            inbox,
            transactions,
            event -> {
              attempts.computeIfAbsent(event.id(), id -> new AtomicInteger()).incrementAndGet();
              jdbc.sql("insert into test_effects (event_id, note) values (?, ?)")
                  .params(event.id(), consumer)
                  .update();
              then.handle(event);
            });
    var properties = new ContainerProperties(topic);
    properties.setGroupId(consumer + "-" + UUID.randomUUID());
    properties.setMessageListener(listener);
    container = new KafkaMessageListenerContainer<>(consumers, properties);
    container.start();
  }

  private int effects(UUID eventId) {
    return jdbc.sql("select count(*) from test_effects where event_id = ?")
        .param(eventId)
        .query(Integer.class)
        .single();
  }

  private int inboxRows(String consumer, UUID eventId) {
    return jdbc.sql("select count(*) from test_inbox where consumer = ? and event_id = ?")
        .params(consumer, eventId)
        .query(Integer.class)
        .single();
  }
}
