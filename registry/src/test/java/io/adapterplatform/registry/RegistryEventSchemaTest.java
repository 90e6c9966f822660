package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.adapterplatform.events.EventCodec;
import io.adapterplatform.events.EventEnvelope;
import io.adapterplatform.events.EventType;
import io.adapterplatform.registry.events.RegistryEvent;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/**
 * The registry's payload records and platform-api's JSON Schema of registry.events say the same
 * thing.
 */
class RegistryEventSchemaTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<Class<?>> PAYLOADS =
      List.of(RegistryEvent.class.getPermittedSubclasses());

  private static JsonNode schemaJson() throws Exception {
    try (var in =
        RegistryEventSchemaTest.class.getResourceAsStream("/events/registry-events.schema.json")) {
      return JSON.readTree(in);
    }
  }

  @Test
  void everyPayloadRecordHasASchemaWithItsFieldsAndTheSchemaNoOtherType() throws Exception {
    var schema = schemaJson();

    var typesInSchema = new HashSet<String>();
    schema.at("/properties/type/enum").forEach(t -> typesInSchema.add(t.asText()));
    var typesInCode = new HashSet<String>();
    for (var payload : PAYLOADS) {
      var type = payload.getAnnotation(EventType.class);
      typesInCode.add(type.name());
      var def = schema.at("/$defs/" + type.name());
      assertThat(def.isMissingNode()).as("schema of %s", type.name()).isFalse();
      var components = payload.getRecordComponents();
      assertThat(names(def.get("properties").fieldNames()))
          .as(type.name())
          .isEqualTo(Set.copyOf(Arrays.stream(components).map(c -> c.getName()).toList()));
      // Required in the schema exactly where the record cannot hold null.
      var required = new HashSet<String>();
      def.get("required").forEach(r -> required.add(r.asText()));
      assertThat(required)
          .as("required fields of %s", type.name())
          .isEqualTo(
              Set.copyOf(
                  Arrays.stream(components)
                      .filter(c -> c.getType().isPrimitive() || c.getType() == String.class)
                      .map(c -> c.getName())
                      .toList()));
      var branch =
          StreamSupport.stream(schema.get("oneOf").spliterator(), false)
              .filter(b -> b.at("/properties/type/const").asText().equals(type.name()))
              .toList();
      assertThat(branch)
          .as("oneOf branch of %s", type.name())
          .singleElement()
          .satisfies(
              b ->
                  assertThat(b.at("/properties/schemaVersion/const").asInt())
                      .isEqualTo(type.schemaVersion()));
    }
    assertThat(typesInSchema).isEqualTo(typesInCode);
    assertThat(schema.get("oneOf")).hasSize(PAYLOADS.size());
  }

  @Test
  void anEnvelopeOfEveryTypeValidatesAndOneWithAWrongPayloadDoesNot() throws Exception {
    var schema = EventsTest.registryEventsSchema();
    List<RegistryEvent> samples =
        List.of(
            new RegistryEvent.VersionPublished("a", 1, "MIXLORA"),
            new RegistryEvent.VersionDeleted("a", 3),
            new RegistryEvent.AliasMoved("a", "prod", 2, null),
            new RegistryEvent.AliasMoved("a", "prod", 2, 1),
            new RegistryEvent.AliasDeleted("a", "prod", 2));
    assertThat(samples).extracting(Object::getClass).containsAll(PAYLOADS);

    for (var sample : samples) {
      var json = EventCodec.write(EventEnvelope.of(sample, Instant.now()));
      assertThat(schema.validate(JSON.readTree(json))).as(json).isEmpty();
      assertThat(EventCodec.forSealed(RegistryEvent.class).read(json))
          .hasValueSatisfying(e -> assertThat(e.payload()).isEqualTo(sample));
    }
    var wrong =
        EventCodec.write(EventEnvelope.of(new RegistryEvent.VersionDeleted("a", 3), Instant.now()))
            .replace("VERSION_DELETED", "ALIAS_DELETED");
    assertThat(schema.validate(JSON.readTree(wrong))).isNotEmpty();
  }

  private static Set<String> names(java.util.Iterator<String> it) {
    var set = new HashSet<String>();
    it.forEachRemaining(set::add);
    return set;
  }
}
