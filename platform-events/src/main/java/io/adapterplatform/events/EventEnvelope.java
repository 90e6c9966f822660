package io.adapterplatform.events;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * What every event on the platform's topics is: a unique {@code id} consumers deduplicate by, the
 * {@code type} and {@code schemaVersion} of its payload, when it happened, and the typed payload (a
 * record annotated with {@link EventType}).
 *
 * @param <P> the payload record
 */
public record EventEnvelope<P>(
    UUID id, String type, int schemaVersion, Instant occurredAt, P payload) {

  public EventEnvelope {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(occurredAt, "occurredAt");
    Objects.requireNonNull(payload, "payload");
  }

  /** A new event with a random id, now, typed by the payload's {@link EventType}. */
  public static <P> EventEnvelope<P> of(P payload, Instant occurredAt) {
    var type = typeOf(payload.getClass());
    return new EventEnvelope<>(
        UUID.randomUUID(), type.name(), type.schemaVersion(), occurredAt, payload);
  }

  static EventType typeOf(Class<?> payloadClass) {
    var type = payloadClass.getAnnotation(EventType.class);
    if (type == null || !payloadClass.isRecord()) {
      throw new IllegalArgumentException(
          payloadClass.getName() + " is not a record annotated with @EventType");
    }
    return type;
  }
}
