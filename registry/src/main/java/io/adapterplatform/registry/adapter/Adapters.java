package io.adapterplatform.registry.adapter;

import io.adapterplatform.registry.storage.FileInfo;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The adapter resources as the API shows them (names match the contract's schemas). */
final class Adapters {

  private Adapters() {}

  enum AdapterKind { LORA, DORA, MIXLORA }

  record CreateAdapterRequest(String name, String baseModel, String description, Map<String, String> labels) {}

  record Adapter(String name, String baseModel, String description, Map<String, String> labels,
      Integer latestVersion, Instant createdAt) {}

  record AdapterPage(List<Adapter> items, String nextCursor) {}

  record ExpertSource(String adapter, int version) {}

  record AdapterVersion(String adapter, int version, AdapterKind kind, String baseModel, List<FileInfo> files,
      List<String> aliases, Integer rank, List<String> targetModules, Integer numExperts, Integer topK,
      List<ExpertSource> composedFrom, String createdBy, Instant createdAt) {}

  record VersionPage(List<AdapterVersion> items, String nextCursor) {}

  record MoveAliasRequest(Integer version) {}

  record AliasMove(Integer version, Integer previousVersion, Instant movedAt, String movedBy) {}

  record Alias(String alias, int version, Instant updatedAt, List<AliasMove> history) {}
}
