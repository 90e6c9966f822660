package io.adapterplatform.registry.basemodel;

import io.adapterplatform.engine.format.ModelConfig;
import java.util.Optional;

/** What other features may ask about base models (the adapter feature validates against them). */
public interface BaseModelCatalog {

  record Ref(long id, String name, ModelConfig config) {}

  Optional<Ref> find(String name);

  Optional<Ref> findById(long id);
}
