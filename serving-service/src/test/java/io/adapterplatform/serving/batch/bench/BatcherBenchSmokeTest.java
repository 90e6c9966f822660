package io.adapterplatform.serving.batch.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class BatcherBenchSmokeTest {

  @Test
  void runsEveryDistinctCountOnATinyShape() {
    List<BatcherBench.Result> results =
        BatcherBench.run(
            BatcherBench.Options.parse(
                new String[] {
                  "hidden=32",
                  "inter=48",
                  "layers=2",
                  "heads=4",
                  "kvHeads=2",
                  "vocab=64",
                  "rank=4",
                  "streams=8",
                  "prompt=5",
                  "tokens=12",
                  "distinct=1,4",
                  "mix=true"
                }));

    assertThat(results).extracting(BatcherBench.Result::distinct).containsExactly(1, 4);
    assertThat(results).extracting(BatcherBench.Result::mixLora).containsExactly(0, 1);
    assertThat(results)
        .allSatisfy(
            r -> {
              assertThat(r.engineTokensPerS()).isPositive().isFinite();
              assertThat(r.batcherTokensPerS()).isPositive().isFinite();
            });
  }
}
