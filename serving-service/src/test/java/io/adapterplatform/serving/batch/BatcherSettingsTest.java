package io.adapterplatform.serving.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.adapterplatform.engine.fused.GroupedLora;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BatcherSettingsTest {

  private static final BatcherSettings SMALL =
      new BatcherSettings(
          4, 8, 6, 100, 400, 16, 10, Duration.ofSeconds(5), GroupedLora.Strategy.AUTO, 2);

  @Test
  void eachWithChangesOnlyItsOwnComponents() {
    assertThat(SMALL.withMaxTokensPerStep(9))
        .isEqualTo(
            new BatcherSettings(
                4, 9, 6, 100, 400, 16, 10, Duration.ofSeconds(5), GroupedLora.Strategy.AUTO, 2));
    assertThat(SMALL.withPrefillChunkTokens(3))
        .isEqualTo(
            new BatcherSettings(
                4, 8, 3, 100, 400, 16, 10, Duration.ofSeconds(5), GroupedLora.Strategy.AUTO, 2));
    assertThat(SMALL.withSequenceLimits(50, 60))
        .isEqualTo(
            new BatcherSettings(
                4, 8, 6, 50, 60, 16, 10, Duration.ofSeconds(5), GroupedLora.Strategy.AUTO, 2));
    assertThat(SMALL.withQueueCapacity(1))
        .isEqualTo(
            new BatcherSettings(
                4, 8, 6, 100, 400, 16, 1, Duration.ofSeconds(5), GroupedLora.Strategy.AUTO, 2));
    assertThat(SMALL.withDefaultTimeout(Duration.ofMinutes(1)))
        .isEqualTo(
            new BatcherSettings(
                4, 8, 6, 100, 400, 16, 10, Duration.ofMinutes(1), GroupedLora.Strategy.AUTO, 2));
    assertThat(SMALL.withWarmUpRounds(0))
        .isEqualTo(
            new BatcherSettings(
                4, 8, 6, 100, 400, 16, 10, Duration.ofSeconds(5), GroupedLora.Strategy.AUTO, 0));
  }

  @Test
  void moreRowsThanTokensPerStepRaiseTheTokensPerStepToOnePerRow() {
    BatcherSettings narrow = SMALL.withMaxRows(2);
    BatcherSettings wide = SMALL.withMaxRows(32);

    assertThat(narrow)
        .isEqualTo(
            new BatcherSettings(
                2, 8, 6, 100, 400, 16, 10, Duration.ofSeconds(5), GroupedLora.Strategy.AUTO, 2));
    assertThat(wide)
        .isEqualTo(
            new BatcherSettings(
                32, 32, 6, 100, 400, 16, 10, Duration.ofSeconds(5), GroupedLora.Strategy.AUTO, 2));
  }

  @Test
  void aCopyIsCheckedAsTheSettingsItBecomes() {
    assertThatThrownBy(() -> SMALL.withSequenceLimits(500, 400))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kvTokenBudget (400)");
    assertThatThrownBy(() -> SMALL.withMaxTokensPerStep(2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxTokensPerStep (2)");
  }
}
