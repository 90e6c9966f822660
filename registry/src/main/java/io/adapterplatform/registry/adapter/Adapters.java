package io.adapterplatform.registry.adapter;

import io.adapterplatform.registry.storage.FileInfo;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The adapter resources as the API shows them (names match the contract's schemas). */
public final class Adapters {

  private Adapters() {}

  public enum AdapterKind { LORA, DORA, MIXLORA }

  /**
   * {@code labels} is a map of strings; a list of strings is accepted too ({@code "k=v"} or a bare
   * {@code "k"}, stored with an empty value), so that either common spelling of labels works.
   */
  public record CreateAdapterRequest(String name, String baseModel, String description,
      @io.swagger.v3.oas.annotations.media.Schema(type = "object", additionalPropertiesSchema = String.class)
      Object labels) {}

  public record Adapter(String name, String baseModel, String description, Map<String, String> labels,
      Integer latestVersion, Instant createdAt) {}

  public record AdapterPage(List<Adapter> items, String nextCursor) {}

  public record ExpertSource(String adapter, int version) {}

  public record AdapterVersion(String adapter, int version, AdapterKind kind, String baseModel, List<FileInfo> files,
      List<String> aliases, Integer rank, List<String> targetModules, Integer numExperts, Integer topK,
      List<ExpertSource> composedFrom, String createdBy, Instant createdAt) {}

  public record VersionPage(List<AdapterVersion> items, String nextCursor) {}

  public record MoveAliasRequest(Integer version) {}

  public record AliasMove(Integer version, Integer previousVersion, Instant movedAt, String movedBy) {}

  public record Alias(String alias, int version, Instant updatedAt, List<AliasMove> history) {}
}
