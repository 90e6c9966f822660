package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.model.MoveAliasRequest;
import io.adapterplatform.embedded.BackendEndpoints;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

class EventsTest extends RegistryTestBase {

  @Test
  @SuppressWarnings("unchecked")
  void publishesVersionAliasAndDeleteEventsInOrderKeyedByAdapter(BackendEndpoints backends) throws Exception {
    String name = newAdapter();
    publishLora(name, 1);
    publishLora(name, 2);
    aliases().moveAlias(name, "production", new MoveAliasRequest().version(2));
    versions().deleteVersion(name, "1");

    var props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, backends.kafkaBootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "events-test-" + unique());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    var events = new ArrayList<Map<String, Object>>();
    try (var consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of("registry.events"));
      var deadline = Instant.now().plus(Duration.ofSeconds(60));
      while (events.size() < 4 && Instant.now().isBefore(deadline)) {
        for (var r : consumer.poll(Duration.ofMillis(500))) {
          if (name.equals(r.key())) {
            events.add(JSON.readValue(new String(r.value(), StandardCharsets.UTF_8), Map.class));
          }
        }
      }
    }

    assertThat(events).extracting(e -> e.get("type"))
        .containsExactly("VERSION_PUBLISHED", "VERSION_PUBLISHED", "ALIAS_MOVED", "VERSION_DELETED");
    assertThat(events).extracting(e -> e.get("version")).containsExactly(1, 2, 2, 1);
    assertThat(events.get(2).get("alias")).isEqualTo("production");
  }
}
