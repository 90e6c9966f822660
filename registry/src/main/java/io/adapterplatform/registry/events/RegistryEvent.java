package io.adapterplatform.registry.events;

import io.adapterplatform.events.EventType;

/**
 * The registry's events on {@code registry.events}, keyed by adapter name: the payloads of the
 * platform's event envelope. Their JSON Schema is platform-api's {@code
 * events/registry-events.schema.json}; a change here changes it (RegistryEventSchemaTest compares
 * them).
 */
public sealed interface RegistryEvent
    permits RegistryEvent.VersionPublished,
        RegistryEvent.VersionDeleted,
        RegistryEvent.AliasMoved,
        RegistryEvent.AliasDeleted {

  /**
   * The adapter the event is about: the Kafka record key, so that one adapter's events keep their
   * order.
   */
  String adapter();

  /** A new version of {@code adapter} was published; {@code kind} is LORA, DORA or MIXLORA. */
  @EventType(name = "VERSION_PUBLISHED")
  record VersionPublished(String adapter, int version, String kind) implements RegistryEvent {}

  /** A version was deleted: its number is never reused. */
  @EventType(name = "VERSION_DELETED")
  record VersionDeleted(String adapter, int version) implements RegistryEvent {}

  /**
   * An alias now points at {@code version}; {@code previousVersion} is absent when the alias is
   * new.
   */
  @EventType(name = "ALIAS_MOVED")
  record AliasMoved(String adapter, String alias, int version, Integer previousVersion)
      implements RegistryEvent {}

  /** An alias was deleted; it pointed at {@code previousVersion}. */
  @EventType(name = "ALIAS_DELETED")
  record AliasDeleted(String adapter, String alias, int previousVersion) implements RegistryEvent {}
}
