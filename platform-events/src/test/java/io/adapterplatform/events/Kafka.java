package io.adapterplatform.events;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Test helpers: read a topic from the start, and wait for a condition with a deadline. */
final class Kafka {

  private Kafka() {}

  /**
   * Reads {@code topic} from its beginning until {@code done} holds for what was read, or 60 s
   * passed.
   */
  static List<ConsumerRecord<String, String>> read(
      String bootstrap,
      String topic,
      java.util.function.Predicate<List<ConsumerRecord<String, String>>> done) {
    var props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "read-" + UUID.randomUUID());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    var records = new ArrayList<ConsumerRecord<String, String>>();
    try (var consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      var deadline = Instant.now().plus(Duration.ofSeconds(60));
      while (!done.test(records) && Instant.now().isBefore(deadline)) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    return records;
  }

  /** Polls {@code condition} until it holds; fails after 60 s. */
  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    var deadline = Instant.now().plus(Duration.ofSeconds(60));
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }
}
