package io.adapterplatform.serving.batch;

/** Why a request ended normally. */
public enum FinishReason {
  /** It generated one of its stop tokens. */
  STOP,
  /** It generated {@code maxTokens} tokens. */
  LENGTH;

  /** The OpenAI spelling: {@code stop} or {@code length}. */
  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
