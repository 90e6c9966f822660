package io.adapterplatform.training.worker;

import io.adapterplatform.engine.format.ModelConfig;
import io.adapterplatform.engine.model.BaseModel;
import java.nio.file.Path;

/**
 * A base model a worker has downloaded (files checked against the registry's sha256) and loaded.
 *
 * @param sha256 the model's digest for the lineage (see {@code WorkerRegistry#baseModel})
 */
record LoadedModel(
    String name,
    Path dir,
    String sha256,
    ModelConfig config,
    BaseModel model,
    DatasetTokenizer tokenizer)
    implements AutoCloseable {

  @Override
  public void close() {
    try {
      tokenizer.close();
    } finally {
      model.close();
    }
  }
}
