package io.adapterplatform.registry.adapter;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import io.adapterplatform.registry.storage.FileInfo;
import io.adapterplatform.web.page.Names;
import io.adapterplatform.web.problem.JsonRequestBody;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The adapter resources as the API shows them (names match the contract's schemas). An optional
 * field with no value is left out of the JSON rather than written as {@code null} (the contract's
 * types do not allow null); only {@code nextCursor} is always written, {@code null} on the last
 * page, because clients loop on it. The annotations are Jackson's shared {@code
 * com.fasterxml.jackson.annotation} ones, which the server's Jackson 3 honours.
 */
public final class Adapters {

  private Adapters() {}

  @Schema(enumAsRef = true)
  public enum AdapterKind {
    LORA,
    DORA,
    MIXLORA
  }

  /**
   * {@code labels} is a map of strings; a list of strings is accepted too ({@code "k=v"} or a bare
   * {@code "k"}, stored with an empty value), so that either common spelling of labels works.
   */
  @JsonInclude(Include.NON_NULL)
  public record CreateAdapterRequest(
      @Schema(pattern = Names.PATTERN) String name,
      String baseModel,
      @Schema(maxLength = AdapterService.MAX_DESCRIPTION) @Nullable String description,
      @Schema(types = "object", additionalPropertiesSchema = String.class) @Nullable Object labels)
      implements JsonRequestBody {}

  @JsonInclude(Include.NON_NULL)
  public record Adapter(
      String name,
      String baseModel,
      @Nullable String description,
      Map<String, String> labels,
      @Nullable Integer latestVersion,
      Instant createdAt) {}

  public record AdapterPage(
      List<Adapter> items, @JsonInclude(Include.ALWAYS) @Nullable String nextCursor) {}

  public record ExpertSource(String adapter, int version) {}

  @JsonInclude(Include.NON_NULL)
  public record AdapterVersion(
      String adapter,
      int version,
      AdapterKind kind,
      String baseModel,
      List<FileInfo> files,
      List<String> aliases,
      Integer rank,
      List<String> targetModules,
      @Nullable Integer numExperts,
      @Nullable Integer topK,
      @Nullable List<ExpertSource> composedFrom,
      @Schema(maxLength = VersionMetadata.MAX_DESCRIPTION) @Nullable String description,
      Map<String, String> tags,
      @Nullable Lineage lineage,
      String createdBy,
      Instant createdAt) {}

  /** The dataset a version was trained on. */
  @JsonInclude(Include.NON_NULL)
  public record LineageDataset(
      @Schema(minLength = 1, maxLength = VersionMetadata.MAX_NAME) String name,
      @Schema(minimum = "1") @Nullable Integer version,
      @Schema(pattern = VersionMetadata.SHA256) @Nullable String sha256) {}

  /** The base model a version was trained from. */
  @JsonInclude(Include.NON_NULL)
  public record LineageBaseModel(
      @Schema(minLength = 1, maxLength = VersionMetadata.MAX_NAME) String name,
      @Schema(pattern = VersionMetadata.SHA256) @Nullable String sha256) {}

  /** Where a version comes from; set at publish and never changed. */
  @JsonInclude(Include.NON_NULL)
  public record Lineage(
      @Schema(minLength = 1, maxLength = VersionMetadata.MAX_NAME) @Nullable String job,
      @Nullable LineageDataset dataset,
      @Nullable LineageBaseModel baseModel,
      @Schema(types = "object", maxProperties = VersionMetadata.MAX_ENTRIES)
          @Nullable Map<String, Object> hyperparameters,
      @Schema(types = "object", maxProperties = VersionMetadata.MAX_ENTRIES)
          @Nullable Map<String, Object> metrics) {}

  /**
   * The metadata given at publish: the multipart {@code metadata} part, or beside {@code compose}.
   */
  @JsonInclude(Include.NON_NULL)
  public record PublishMetadata(
      @Schema(maxLength = VersionMetadata.MAX_DESCRIPTION) @Nullable String description,
      @Schema(maxProperties = VersionMetadata.MAX_TAGS) @Nullable Map<String, String> tags,
      @Nullable Lineage lineage)
      implements JsonRequestBody {}

  /**
   * A JSON merge patch of a version (RFC 7396): {@code description} (null removes it) and {@code
   * tags} (a null value removes that tag). The lineage is immutable.
   */
  @JsonInclude(Include.NON_NULL)
  public record VersionPatch(
      @Schema(maxLength = VersionMetadata.MAX_DESCRIPTION) @Nullable String description,
      @Schema(maxProperties = VersionMetadata.MAX_TAGS) @Nullable Map<String, String> tags) {}

  public record VersionPage(
      List<AdapterVersion> items, @JsonInclude(Include.ALWAYS) @Nullable String nextCursor) {}

  public record MoveAliasRequest(Integer version) implements JsonRequestBody {}

  /**
   * {@code version} is absent for the move that deleted the alias, {@code previousVersion} for the
   * one that created it.
   */
  @JsonInclude(Include.NON_NULL)
  public record AliasMove(
      @Nullable Integer version,
      @Nullable Integer previousVersion,
      Instant movedAt,
      String movedBy) {}

  public record Alias(String alias, int version, Instant updatedAt, List<AliasMove> history) {}
}
