package io.adapterplatform.registry.basemodel;

import io.adapterplatform.registry.storage.FileInfo;
import java.time.Instant;
import java.util.List;

/** The base-model resources as the API shows them. */
final class BaseModels {

  private BaseModels() {}

  record Architecture(String modelType, int hiddenSize, int numLayers, int numHeads, int numKvHeads,
      int intermediateSize, int vocabSize) {}

  record BaseModel(String name, List<FileInfo> files, Architecture architecture, Instant createdAt) {}

  record BaseModelPage(List<BaseModel> items, String nextCursor) {}
}
