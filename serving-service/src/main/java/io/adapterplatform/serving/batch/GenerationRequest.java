package io.adapterplatform.serving.batch;

import java.time.Duration;
import java.util.Arrays;
import java.util.OptionalInt;
import java.util.Set;

/**
 * One generation: the prompt's token ids, the adapter pool index it decodes with ({@link
 * #BASE_MODEL} for the bare base model), and what to produce.
 *
 * @param promptTokens the prompt, at least one token
 * @param adapterSlot an index of the batcher's adapter pool, or {@link #BASE_MODEL}; the caller
 *     keeps that place unchanged while the request is in flight
 * @param maxTokens tokens to generate at most; 0 only scores (and echoes) the prompt
 * @param sampling greedy or seeded sampling
 * @param stopTokenIds generating one of these ends the request with {@link FinishReason#STOP} (the
 *     caller adds the model's end-of-sequence token here when it should stop there)
 * @param logprobs absent: no log-probabilities; N: each token's log-probability and the N most
 *     probable tokens at its position (0 to {@link #MAX_LOGPROBS})
 * @param echo whether the prompt's tokens are sent first (with their log-probabilities when asked)
 * @param timeout from submission to the end, queueing included; null takes the batcher's default
 */
public record GenerationRequest(
    int[] promptTokens,
    int adapterSlot,
    int maxTokens,
    Sampling sampling,
    Set<Integer> stopTokenIds,
    OptionalInt logprobs,
    boolean echo,
    Duration timeout) {

  /** The adapter slot of a request on the bare base model. */
  public static final int BASE_MODEL = -1;

  /** The most top log-probabilities a request may ask for (OpenAI's limit for chat). */
  public static final int MAX_LOGPROBS = 20;

  public GenerationRequest {
    if (promptTokens == null || promptTokens.length == 0) {
      throw new IllegalArgumentException("the prompt needs at least one token");
    }
    promptTokens = promptTokens.clone();
    if (adapterSlot < BASE_MODEL) {
      throw new IllegalArgumentException(
          "adapterSlot must be a pool index or -1 (base model), got " + adapterSlot);
    }
    if (maxTokens < 0) {
      throw new IllegalArgumentException("max_tokens must be >= 0, got " + maxTokens);
    }
    java.util.Objects.requireNonNull(sampling, "sampling");
    stopTokenIds = Set.copyOf(stopTokenIds);
    java.util.Objects.requireNonNull(logprobs, "logprobs");
    if (logprobs.isPresent() && (logprobs.getAsInt() < 0 || logprobs.getAsInt() > MAX_LOGPROBS)) {
      throw new IllegalArgumentException(
          "logprobs must be in [0, " + MAX_LOGPROBS + "], got " + logprobs.getAsInt());
    }
    if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
      throw new IllegalArgumentException("timeout must be positive, got " + timeout);
    }
  }

  /** Greedy generation of {@code maxTokens} tokens, nothing else asked. */
  public static GenerationRequest greedy(int[] prompt, int adapterSlot, int maxTokens) {
    return new GenerationRequest(
        prompt,
        adapterSlot,
        maxTokens,
        Sampling.greedy(),
        Set.of(),
        OptionalInt.empty(),
        false,
        null);
  }

  @Override
  public int[] promptTokens() {
    return promptTokens.clone();
  }

  int promptLength() {
    return promptTokens.length;
  }

  int promptToken(int i) {
    return promptTokens[i];
  }

  public GenerationRequest withSampling(Sampling s) {
    return new GenerationRequest(
        promptTokens, adapterSlot, maxTokens, s, stopTokenIds, logprobs, echo, timeout);
  }

  public GenerationRequest withStopTokenIds(Set<Integer> stop) {
    return new GenerationRequest(
        promptTokens, adapterSlot, maxTokens, sampling, stop, logprobs, echo, timeout);
  }

  public GenerationRequest withLogprobs(int top) {
    return new GenerationRequest(
        promptTokens,
        adapterSlot,
        maxTokens,
        sampling,
        stopTokenIds,
        OptionalInt.of(top),
        echo,
        timeout);
  }

  public GenerationRequest withEcho(boolean e) {
    return new GenerationRequest(
        promptTokens, adapterSlot, maxTokens, sampling, stopTokenIds, logprobs, e, timeout);
  }

  public GenerationRequest withTimeout(Duration t) {
    return new GenerationRequest(
        promptTokens, adapterSlot, maxTokens, sampling, stopTokenIds, logprobs, echo, t);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GenerationRequest r
        && Arrays.equals(promptTokens, r.promptTokens)
        && adapterSlot == r.adapterSlot
        && maxTokens == r.maxTokens
        && sampling.equals(r.sampling)
        && stopTokenIds.equals(r.stopTokenIds)
        && logprobs.equals(r.logprobs)
        && echo == r.echo
        && java.util.Objects.equals(timeout, r.timeout);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(
        Arrays.hashCode(promptTokens),
        adapterSlot,
        maxTokens,
        sampling,
        stopTokenIds,
        logprobs,
        echo,
        timeout);
  }

  @Override
  public String toString() {
    return "GenerationRequest[prompt="
        + promptTokens.length
        + " tokens, adapterSlot="
        + adapterSlot
        + ", maxTokens="
        + maxTokens
        + ", sampling="
        + sampling
        + ", stop="
        + stopTokenIds
        + ", logprobs="
        + logprobs
        + ", echo="
        + echo
        + ", timeout="
        + timeout
        + "]";
  }
}
