package io.adapterplatform.serving.batch;

/**
 * The end of a request: why, and its usage (prompt tokens, and generated tokens including a stop
 * token).
 */
public record Finish(FinishReason reason, int promptTokens, int completionTokens) {

  public int totalTokens() {
    return promptTokens + completionTokens;
  }
}
