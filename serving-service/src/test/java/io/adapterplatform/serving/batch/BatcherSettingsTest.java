package io.adapterplatform.serving.batch;

import static io.adapterplatform.engine.fused.GroupedLora.Strategy.AUTO;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.time.Duration;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class BatcherSettingsTest {

  private static final Duration FIVE_S = Duration.ofSeconds(5);

  private static final BatcherSettings SMALL =
      new BatcherSettings(4, 8, 6, 100, 400, 16, 10, FIVE_S, AUTO, 2);

  /** A case: a change of SMALL, named, and what comes of it. */
  private static Arguments change(
      String name, UnaryOperator<BatcherSettings> change, Object outcome) {
    return arguments(named(name, change), outcome);
  }

  static Stream<Arguments> copies() {
    return Stream.of(
        change(
            "withMaxTokensPerStep",
            s -> s.withMaxTokensPerStep(9),
            new BatcherSettings(4, 9, 6, 100, 400, 16, 10, FIVE_S, AUTO, 2)),
        change(
            "withPrefillChunkTokens",
            s -> s.withPrefillChunkTokens(3),
            new BatcherSettings(4, 8, 3, 100, 400, 16, 10, FIVE_S, AUTO, 2)),
        change(
            "withSequenceLimits",
            s -> s.withSequenceLimits(50, 60),
            new BatcherSettings(4, 8, 6, 50, 60, 16, 10, FIVE_S, AUTO, 2)),
        change(
            "withQueueCapacity",
            s -> s.withQueueCapacity(1),
            new BatcherSettings(4, 8, 6, 100, 400, 16, 1, FIVE_S, AUTO, 2)),
        change(
            "withDefaultTimeout",
            s -> s.withDefaultTimeout(Duration.ofMinutes(1)),
            new BatcherSettings(4, 8, 6, 100, 400, 16, 10, Duration.ofMinutes(1), AUTO, 2)),
        change(
            "withWarmUpRounds",
            s -> s.withWarmUpRounds(0),
            new BatcherSettings(4, 8, 6, 100, 400, 16, 10, FIVE_S, AUTO, 0)),
        change(
            "withMaxRows below the tokens per step keeps them",
            s -> s.withMaxRows(2),
            new BatcherSettings(2, 8, 6, 100, 400, 16, 10, FIVE_S, AUTO, 2)),
        change(
            "withMaxRows above the tokens per step raises them to one per row",
            s -> s.withMaxRows(32),
            new BatcherSettings(32, 32, 6, 100, 400, 16, 10, FIVE_S, AUTO, 2)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("copies")
  void eachWithChangesOnlyItsOwnComponents(
      UnaryOperator<BatcherSettings> change, BatcherSettings expected) {
    assertThat(change.apply(SMALL)).isEqualTo(expected);
  }

  static Stream<Arguments> invalidCopies() {
    return Stream.of(
        change("withSequenceLimits", s -> s.withSequenceLimits(500, 400), "kvTokenBudget (400)"),
        change("withMaxTokensPerStep", s -> s.withMaxTokensPerStep(2), "maxTokensPerStep (2)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidCopies")
  void aCopyIsCheckedAsTheSettingsItBecomes(UnaryOperator<BatcherSettings> change, String problem) {
    assertThatThrownBy(() -> change.apply(SMALL))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(problem);
  }
}
