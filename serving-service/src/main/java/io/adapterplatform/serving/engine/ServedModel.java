package io.adapterplatform.serving.engine;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.serving.batch.ContinuousBatcher;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One base model being served: its weights, the batcher that owns its adapter pool, its tokenizer
 * (absent when the registry holds no {@code tokenizer.json}: only token-id prompts then) and its
 * end-of-sequence id from {@code config.json}.
 */
public record ServedModel(
    String name,
    BaseModel model,
    ContinuousBatcher batcher,
    Optional<HuggingFaceTokenizer> tokenizer,
    OptionalInt eosTokenId)
    implements AutoCloseable {

  public int vocabSize() {
    return model.dims().vocabSize();
  }

  /** Drains the batcher (it closes its pool), then frees the weights and the tokenizer. */
  @Override
  public void close() {
    try {
      batcher.close();
    } finally {
      tokenizer.ifPresent(HuggingFaceTokenizer::close);
      model.close();
    }
  }
}
