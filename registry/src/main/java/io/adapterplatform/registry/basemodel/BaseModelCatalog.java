package io.adapterplatform.registry.basemodel;

import io.adapterplatform.engine.format.ModelConfig;
import io.adapterplatform.registry.storage.FileInfo;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** What other features may ask about base models (the adapter feature validates against them). */
public interface BaseModelCatalog {

  record Ref(long id, String name, ModelConfig config) {}

  Optional<Ref> find(String name);

  Optional<Ref> findById(long id);

  /**
   * A base model's stored files and creation time (base models are written once, never changed).
   */
  record Contents(long id, String name, List<FileInfo> files, Instant createdAt) {}

  Optional<Contents> contents(String name);
}
