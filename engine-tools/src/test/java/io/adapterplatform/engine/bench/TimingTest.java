package io.adapterplatform.engine.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class TimingTest {

  @Test
  void roundRatiosPairEachRepetitionWithItsOwnBaseline() {
    double[] baseline = {10, 20, 10, 40, 10};
    double[] variant = {
      12, 22, 13, 44, 50
    }; // a slow spell hit round 4 of the baseline, round 5 of the variant

    assertThat(Timing.medianOfRoundRatios(variant, baseline)).isEqualTo(1.2);
  }

  @Test
  void interleavedRunsEveryVariantOncePerRepetitionInOrderAfterTheWarmUp() {
    List<String> calls = new CopyOnWriteArrayList<>();
    Map<String, Runnable> variants = new LinkedHashMap<>();
    variants.put("a", () -> calls.add("a"));
    variants.put("b", () -> calls.add("b"));

    Map<String, double[]> ms = Timing.interleaved(1, 3, variants);

    // one warm-up round at least (more while the JIT compiles), then the three timed ones
    assertThat(calls.size() / 2).isBetween(1 + 3, 1 + Timing.MAX_EXTRA_WARMUP + 3);
    for (int i = 0; i < calls.size(); i++) {
      assertThat(calls.get(i)).isEqualTo(i % 2 == 0 ? "a" : "b");
    }
    assertThat(ms.get("a")).hasSize(3);
    assertThat(ms.get("b")).hasSize(3);
    assertThat(Arrays.stream(ms.get("b")).min().orElseThrow()).isGreaterThanOrEqualTo(0.0);
  }

  @Test
  void warmUpRunsTheAskedRoundsAndStopsOnceTheJitIsQuiet() {
    int[] rounds = {0};

    int done = Timing.warmUntilCompiled(3, () -> rounds[0]++);

    assertThat(done).isEqualTo(rounds[0]).isBetween(3, 3 + Timing.MAX_EXTRA_WARMUP);
    assertThat(Timing.warmUntilCompiled(0, () -> rounds[0]++))
        .isBetween(1, Timing.MAX_EXTRA_WARMUP);
  }
}
