package io.adapterplatform.serving.batch;

import io.adapterplatform.engine.fused.GroupedLora;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Limits of a {@link ContinuousBatcher}.
 *
 * @param maxRows sequences running at once (the KV store's slots)
 * @param maxTokensPerStep rows of one forward pass: one per decoding sequence plus the prefill
 *     tokens of the step (at least {@code maxRows}, so a prefill always advances)
 * @param prefillChunkTokens prompt tokens prefilled per step at most, all new requests together: a
 *     long prompt is prefilled over several steps while the others keep decoding
 * @param maxSequenceTokens prompt plus max_tokens of one request at most (longer ones are refused
 *     at submission)
 * @param kvTokenBudget prompt plus max_tokens of all running requests together at most: a request
 *     waits for its admission until it fits (at least {@code maxSequenceTokens})
 * @param kvInitialTokens tokens per KV slot allocated at start (the store doubles when a sequence
 *     outgrows it)
 * @param queueCapacity requests waiting for admission at most; beyond it submission fails fast
 *     ({@link QueueFullException})
 * @param defaultTimeout a request's timeout when it names none
 * @param strategy the grouped LoRA strategy of the fused forward ({@code AUTO}: the host kernel on
 *     the CPU where it runs)
 * @param warmUpRounds forward passes run per served batch size at start-up to compile the host
 *     kernel's paths for those sizes (0: no warm-up)
 */
public record BatcherSettings(
    int maxRows,
    int maxTokensPerStep,
    int prefillChunkTokens,
    int maxSequenceTokens,
    long kvTokenBudget,
    int kvInitialTokens,
    int queueCapacity,
    Duration defaultTimeout,
    GroupedLora.Strategy strategy,
    int warmUpRounds) {

  public BatcherSettings {
    positive("maxRows", maxRows);
    positive("maxTokensPerStep", maxTokensPerStep);
    positive("prefillChunkTokens", prefillChunkTokens);
    positive("maxSequenceTokens", maxSequenceTokens);
    positive("kvInitialTokens", kvInitialTokens);
    positive("queueCapacity", queueCapacity);
    if (maxTokensPerStep < maxRows) {
      throw new IllegalArgumentException(
          "maxTokensPerStep ("
              + maxTokensPerStep
              + ") must be at least maxRows ("
              + maxRows
              + "): otherwise a prefill could wait forever behind decoding rows");
    }
    if (kvTokenBudget < maxSequenceTokens) {
      throw new IllegalArgumentException(
          "kvTokenBudget ("
              + kvTokenBudget
              + ") must hold at least one sequence of maxSequenceTokens ("
              + maxSequenceTokens
              + ")");
    }
    Objects.requireNonNull(defaultTimeout, "defaultTimeout");
    if (defaultTimeout.isNegative() || defaultTimeout.isZero()) {
      throw new IllegalArgumentException("defaultTimeout must be positive, got " + defaultTimeout);
    }
    Objects.requireNonNull(strategy, "strategy");
    if (warmUpRounds < 0) {
      throw new IllegalArgumentException("warmUpRounds must be >= 0, got " + warmUpRounds);
    }
  }

  private static void positive(String name, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive, got " + value);
    }
  }

  /**
   * 64 rows, 512 tokens per step, prefill chunks of 256, sequences of 4096, a KV budget of all rows
   * full, 256 waiting, 2 minutes, AUTO, 3 warm-up rounds.
   */
  public static BatcherSettings defaults() {
    return new BatcherSettings(
        64,
        512,
        256,
        4096,
        64L * 4096,
        256,
        256,
        Duration.ofMinutes(2),
        GroupedLora.Strategy.AUTO,
        3);
  }

  /** These settings with {@code rows} rows, and at least as many tokens per step. */
  public BatcherSettings withMaxRows(int rows) {
    return with(
        c -> {
          c.maxRows = rows;
          c.maxTokensPerStep = Math.max(maxTokensPerStep, rows);
        });
  }

  public BatcherSettings withMaxTokensPerStep(int tokens) {
    return with(c -> c.maxTokensPerStep = tokens);
  }

  public BatcherSettings withPrefillChunkTokens(int tokens) {
    return with(c -> c.prefillChunkTokens = tokens);
  }

  public BatcherSettings withSequenceLimits(int maxSequence, long kvBudget) {
    return with(
        c -> {
          c.maxSequenceTokens = maxSequence;
          c.kvTokenBudget = kvBudget;
        });
  }

  public BatcherSettings withQueueCapacity(int capacity) {
    return with(c -> c.queueCapacity = capacity);
  }

  public BatcherSettings withDefaultTimeout(Duration timeout) {
    return with(c -> c.defaultTimeout = timeout);
  }

  public BatcherSettings withWarmUpRounds(int rounds) {
    return with(c -> c.warmUpRounds = rounds);
  }

  private BatcherSettings with(Consumer<Copy> change) {
    var copy = new Copy();
    change.accept(copy);
    return copy.settings();
  }

  /**
   * These settings' components, changeable: with the record's header, the one list of them all
   * (Java has no derived record creation), so a new component is added to the with-methods in two
   * lines. The copy is checked again when it becomes settings.
   */
  private final class Copy {
    int maxRows = maxRows();
    int maxTokensPerStep = maxTokensPerStep();
    int prefillChunkTokens = prefillChunkTokens();
    int maxSequenceTokens = maxSequenceTokens();
    long kvTokenBudget = kvTokenBudget();
    int kvInitialTokens = kvInitialTokens();
    int queueCapacity = queueCapacity();
    Duration defaultTimeout = defaultTimeout();
    GroupedLora.Strategy strategy = strategy();
    int warmUpRounds = warmUpRounds();

    BatcherSettings settings() {
      return new BatcherSettings(
          maxRows,
          maxTokensPerStep,
          prefillChunkTokens,
          maxSequenceTokens,
          kvTokenBudget,
          kvInitialTokens,
          queueCapacity,
          defaultTimeout,
          strategy,
          warmUpRounds);
    }
  }
}
