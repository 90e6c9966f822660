package io.adapterplatform.local.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/platform bench training --quick} end to end on its own embedded platform: it completes
 * and prints every row and both targets. No timing is asserted: this machine's load decides those.
 */
class TrainingBenchTest {

  @Test
  void quickRunCompletesAndPrintsEveryRow() {
    var buffer = new ByteArrayOutputStream();
    var status =
        TrainingBench.run(
            new String[] {"--quick", "--jobs", "1,2,4"},
            new PrintStream(buffer, true, StandardCharsets.UTF_8));
    var output = buffer.toString(StandardCharsets.UTF_8);

    assertThat(status).as(output).isZero();
    assertThat(output)
        .contains("machine: fp32 matmul")
        .contains("warm-up job published")
        .containsPattern("(?m)^jobs=1 +[0-9.]+ \\(")
        .containsPattern("(?m)^jobs=2 +[0-9.]+ \\(")
        .containsPattern("(?m)^jobs=4 +[0-9.]+ \\(")
        .contains("service, 4 jobs:")
        .contains("in training steps")
        .containsPattern(
            "(?m)^  fused, per job \\(ms, mean\\): submit-to-claim [0-9]+, claim [0-9]+")
        .contains(", steps ")
        .contains(", publish ")
        .contains("target: 4 jobs fused / one after another =")
        .contains("target: service fused / bare engine fused, 4 jobs =")
        .doesNotContain("NaN");
    // Submitted together, the four jobs shared training steps (the worker fused them).
    assertThat(output).contains("each job fused with at least 3 others");
  }

  @Test
  void badOptionsAreAUsageError() {
    var buffer = new ByteArrayOutputStream();
    assertThat(
            TrainingBench.run(
                new String[] {"--steps", "0"},
                new PrintStream(buffer, true, StandardCharsets.UTF_8)))
        .isEqualTo(2);
    assertThat(buffer.size()).isZero(); // nothing started
  }
}
