package io.adapterplatform.registry.mixlora;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import io.adapterplatform.registry.adapter.Adapters;
import io.adapterplatform.registry.adapter.VersionMetadata;
import io.adapterplatform.web.problem.JsonRequestBody;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The MixLoRA resources as the API shows them (names match the contract's schemas). */
final class MixLoras {

  private MixLoras() {}

  @JsonInclude(Include.NON_NULL)
  record RouterInit(
      @Schema(allowableValues = {"random", "zeros"}) @Nullable String init,
      @Schema(minimum = "0") @Nullable Double range,
      @Nullable Long seed) {}

  @JsonInclude(Include.NON_NULL)
  record Compose(
      @ArraySchema(minItems = 1) List<String> experts,
      @Schema(minimum = "1") Integer topK,
      @Nullable RouterInit router,
      @Nullable String attention) {}

  /**
   * The recipe and, beside it, the same metadata a multipart publish takes in its {@code metadata}
   * part.
   */
  @JsonInclude(Include.NON_NULL)
  record ComposeRequest(
      Compose compose,
      @Schema(maxLength = VersionMetadata.MAX_DESCRIPTION) @Nullable String description,
      @Schema(maxProperties = VersionMetadata.MAX_TAGS) @Nullable Map<String, String> tags,
      Adapters.@Nullable Lineage lineage)
      implements JsonRequestBody {}

  record ExpertSource(String adapter, int version) {}

  record Tensor(String name, String dtype, List<Long> shape) {}

  /** {@code source} is left out for the experts of an uploaded (not composed) MixLoRA version. */
  @JsonInclude(Include.NON_NULL)
  record Expert(int index, @Nullable ExpertSource source, List<Tensor> tensors) {}

  record MixLoraExperts(
      String adapter,
      int version,
      int numExperts,
      int topK,
      List<Expert> experts,
      List<Tensor> router,
      List<Tensor> attention) {}

  /**
   * What a composed version stores to regenerate its weights: resolved sources and the router seed.
   */
  record Recipe(List<Long> experts, Long attention, int topK, double std, long seed) {}
}
