package io.adapterplatform.serving.events;

import io.adapterplatform.events.EventType;

/**
 * The registry's events this service reads from {@code registry.events}: its own records of the
 * shapes in platform-api's {@code events/registry-events.schema.json} (the registry's records stay
 * the registry's). Fields a consumer does not need are left out; the codec ignores them.
 */
public sealed interface RegistryEvents {

  String TOPIC = "registry.events";

  @EventType(name = "VERSION_DELETED")
  record VersionDeleted(String adapter, int version) implements RegistryEvents {}

  @EventType(name = "ALIAS_MOVED")
  record AliasMoved(String adapter, String alias, int version, Integer previousVersion)
      implements RegistryEvents {}
}
