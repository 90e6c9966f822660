package io.adapterplatform.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes envelopes as JSON and reads them back into the payload records it knows. Absent optional
 * fields are left out rather than written as {@code null}; unknown fields are ignored when reading,
 * so that a producer may add optional fields without a new schema version.
 */
public final class EventCodec {

  private static final JsonMapper JSON =
      JsonMapper.builder()
          .changeDefaultPropertyInclusion(
              incl -> incl.withValueInclusion(JsonInclude.Include.NON_NULL))
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  private final Map<String, Class<?>> payloadTypes = new LinkedHashMap<>();

  /** A codec that reads the given payload records (each annotated with {@link EventType}). */
  public EventCodec(Collection<Class<?>> payloadTypes) {
    for (var type : payloadTypes) {
      var previous = this.payloadTypes.put(EventEnvelope.typeOf(type).name(), type);
      if (previous != null) {
        throw new IllegalArgumentException(
            "event type "
                + EventEnvelope.typeOf(type).name()
                + " names both "
                + previous
                + " and "
                + type);
      }
    }
  }

  /** A codec for the permitted subclasses of a sealed interface of payload records. */
  public static EventCodec forSealed(Class<?> sealedPayloads) {
    var permitted = sealedPayloads.getPermittedSubclasses();
    if (permitted == null) {
      throw new IllegalArgumentException(sealedPayloads + " is not sealed");
    }
    return new EventCodec(java.util.List.of(permitted));
  }

  public static String write(EventEnvelope<?> envelope) {
    return JSON.writeValueAsString(envelope);
  }

  /**
   * The envelope in {@code json} with its payload as the record registered for its type, or empty
   * when the type is not one this codec reads (a consumer ignores events it does not know).
   *
   * @throws IllegalArgumentException when the JSON is not an envelope
   */
  public Optional<EventEnvelope<?>> read(String json) {
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a JSON event envelope: " + e.getMessage(), e);
    }
    var type = text(node, "type");
    var payloadType = payloadTypes.get(type);
    if (payloadType == null) {
      return Optional.empty();
    }
    var payload = node.get("payload");
    if (payload == null || !payload.isObject()) {
      throw new IllegalArgumentException(
          "event envelope of type " + type + " without a payload object");
    }
    var schemaVersion = node.get("schemaVersion");
    if (schemaVersion == null || !schemaVersion.isIntegralNumber()) {
      throw new IllegalArgumentException(
          "event envelope of type " + type + " without an integer schemaVersion");
    }
    try {
      return Optional.of(
          new EventEnvelope<>(
              UUID.fromString(text(node, "id")),
              type,
              schemaVersion.intValue(),
              Instant.parse(text(node, "occurredAt")),
              JSON.treeToValue(payload, payloadType)));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed " + type + " event: " + e.getMessage(), e);
    }
  }

  private static String text(JsonNode node, String field) {
    var value = node.get(field);
    if (value == null || !value.isString()) {
      throw new IllegalArgumentException("event envelope without a string '" + field + "'");
    }
    return value.asString();
  }
}
