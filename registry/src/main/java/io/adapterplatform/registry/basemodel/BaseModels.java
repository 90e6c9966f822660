package io.adapterplatform.registry.basemodel;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import io.adapterplatform.registry.storage.FileInfo;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** The base-model resources as the API shows them. */
final class BaseModels {

  private BaseModels() {}

  record Architecture(
      String modelType,
      int hiddenSize,
      int numLayers,
      int numHeads,
      int numKvHeads,
      int intermediateSize,
      int vocabSize) {}

  record BaseModel(
      String name, List<FileInfo> files, Architecture architecture, Instant createdAt) {}

  /** {@code nextCursor} is always written, {@code null} on the last page. */
  record BaseModelPage(
      List<BaseModel> items, @JsonInclude(Include.ALWAYS) @Nullable String nextCursor) {}
}
