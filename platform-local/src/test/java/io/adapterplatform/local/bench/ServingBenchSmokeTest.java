package io.adapterplatform.local.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/platform bench serving --quick} end to end on its own embedded platform: it completes
 * and prints every row. No timing is asserted (the figures depend on the machine).
 */
class ServingBenchSmokeTest {

  @Test
  void quickRunCompletesAndPrintsEveryRow() throws Exception {
    var options = ServingBenchOptions.parse(new String[] {"--quick"});
    var bytes = new ByteArrayOutputStream();

    ServingBench.run(options, new PrintStream(bytes, true, StandardCharsets.UTF_8));

    var output = bytes.toString(StandardCharsets.UTF_8);
    System.out.print(output); // the figures, for whoever reads the test's log
    var lines = output.lines().toList();
    for (var row :
        List.of(
            "| 1 | 0 | fused |",
            "| 4 | 0 | fused |",
            "| 8 | 0 | fused |",
            "| 4 | 1 | fused |",
            "| 8 | 2 | fused |",
            "| 1 | 0 | one adapter per batch |",
            "| 8 | 0 | one adapter per batch |",
            "| 8 | 2 | one adapter per batch |")) {
      assertThat(lines).as(output).anySatisfy(line -> assertThat(line).startsWith(row));
    }
    assertThat(output)
        .contains(
            "- 8 adapters ÷ 1 adapter (decode, fused):",
            "- 8 adapters, a quarter MixLoRA ÷ 1 adapter",
            "- fused ÷ one adapter per batch, 8 adapters",
            "- server ÷ bare engine fused step, 8 adapters, batch 8",
            "- batcher alone (in process, no HTTP, base-model rows) ÷ bare engine fused step",
            "| cold request",
            "| warm request",
            "| the pool's load alone");
    // the first pass fetches each of the 24 rotation adapters from the registry exactly once
    assertThat(lines)
        .anySatisfy(
            line ->
                assertThat(line).startsWith("| every adapter once | 24 | 24 |").endsWith("| 24 |"));
    assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("| Zipf s=1 | 24 |"));
  }

  @Test
  void refusesMoreDistinctAdaptersThanStreams() {
    assertThatThrownBy(
            () -> ServingBenchOptions.parse(new String[] {"--streams", "4", "--distinct", "1,8"}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("more than the 4 streams");
  }
}
