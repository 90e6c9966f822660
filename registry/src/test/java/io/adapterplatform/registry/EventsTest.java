package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import io.adapterplatform.api.registry.model.MoveAliasRequest;
import io.adapterplatform.embedded.BackendEndpoints;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

class EventsTest extends RegistryTestBase {

  /** platform-api's JSON Schema of registry.events, read from its jar like any consumer would. */
  static JsonSchema registryEventsSchema() throws Exception {
    try (var in = EventsTest.class.getResourceAsStream("/events/registry-events.schema.json")) {
      assertThat(in).as("platform-api ships events/registry-events.schema.json").isNotNull();
      return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
    }
  }

  @Test
  void publishesEveryKindOfEventInOrderKeyedByAdapterAsEnvelopesThatMatchTheSchema(
      BackendEndpoints backends) throws Exception {
    String name = newAdapter();
    publishLora(name, 1);
    publishLora(name, 2);
    aliases().moveAlias(name, "production", new MoveAliasRequest().version(2));
    aliases().moveAlias(name, "production", new MoveAliasRequest().version(1));
    aliases().deleteAlias(name, "production");
    versions().deleteVersion(name, "2");

    var records = new ArrayList<ConsumerRecord<String, byte[]>>();
    var props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, backends.kafkaBootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "events-test-" + unique());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (var consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of("registry.events"));
      var deadline = Instant.now().plus(Duration.ofSeconds(60));
      while (records.size() < 6 && Instant.now().isBefore(deadline)) {
        for (var r : consumer.poll(Duration.ofMillis(500))) {
          if (name.equals(r.key())) {
            records.add(r);
          }
        }
      }
    }
    var events = new ArrayList<JsonNode>();
    for (var r : records) {
      events.add(JSON.readTree(new String(r.value(), StandardCharsets.UTF_8)));
    }

    assertThat(events)
        .extracting(e -> e.get("type").asText())
        .containsExactly(
            "VERSION_PUBLISHED",
            "VERSION_PUBLISHED",
            "ALIAS_MOVED",
            "ALIAS_MOVED",
            "ALIAS_DELETED",
            "VERSION_DELETED");
    var schema = registryEventsSchema();
    assertThat(events).allSatisfy(e -> assertThat(schema.validate(e)).as(e.toString()).isEmpty());
    assertThat(events)
        .extracting(e -> UUID.fromString(e.get("id").asText()))
        .doesNotHaveDuplicates();
    assertThat(records)
        .extracting(
            r -> new String(r.headers().lastHeader("event-id").value(), StandardCharsets.UTF_8))
        .containsExactlyElementsOf(events.stream().map(e -> e.get("id").asText()).toList());
    assertThat(events).extracting(e -> e.get("schemaVersion").asInt()).containsOnly(1);
    assertThat(events).extracting(e -> Instant.parse(e.get("occurredAt").asText())).isSorted();
    var payloads = events.stream().map(e -> e.get("payload")).toList();
    assertThat(payloads).extracting(p -> p.get("adapter").asText()).containsOnly(name);
    assertThat(payloads)
        .extracting(p -> p.path("version").asInt(-1))
        .containsExactly(1, 2, 2, 1, -1, 2);
    assertThat(payloads.get(0).get("kind").asText()).isEqualTo("LORA");
    assertThat(payloads.get(2).get("alias").asText()).isEqualTo("production");
    assertThat(payloads.get(2).has("previousVersion"))
        .as("a new alias has no previous version")
        .isFalse();
    assertThat(payloads.get(3).get("previousVersion").asInt()).isEqualTo(2);
    assertThat(payloads.get(4).get("previousVersion").asInt()).isEqualTo(1);
  }
}
