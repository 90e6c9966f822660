package io.adapterplatform.engine.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The benchmark is not part of the suite; this only checks that a tiny run produces every figure.
 */
class EngineBenchSmokeTest {

  @Test
  @SuppressWarnings("unchecked")
  void aTinyRunReportsEveryPartWithItsFloor() {
    BenchOptions options =
        BenchOptions.parse(
            new String[] {
              "--quick",
              "--hidden",
              "32",
              "--intermediate",
              "48",
              "--layers",
              "1",
              "--vocab",
              "64",
              "--batch",
              "2",
              "--distinct",
              "1,2",
              "--context",
              "3",
              "--experts",
              "4",
              "--ffn-rows",
              "2",
              "--jobs",
              "2",
              "--job-sequences",
              "1",
              "--job-sequence-length",
              "4",
              "--warmup",
              "0",
              "--reps",
              "1"
            });

    Map<String, Object> out = new EngineBench(options).run();

    assertThat(out).containsKeys("machine", "shape", "decode", "mixlora_ffn", "training");
    Map<String, Object> machine = (Map<String, Object>) out.get("machine");
    assertThat((double) machine.get("fp32_matmul_gflops")).isPositive();
    assertThat((double) machine.get("read_bandwidth_gbs")).isPositive();
    List<Map<String, Object>> decode =
        (List<Map<String, Object>>) ((Map<String, Object>) out.get("decode")).get("by_distinct");
    assertThat(decode).hasSize(2);
    Map<String, Object> all7 = (Map<String, Object>) decode.get(1).get("all7");
    assertThat((double) all7.get("floor_ratio")).isGreaterThanOrEqualTo(1.0);
    assertThat((double) all7.get("fused_ratio")).isPositive();
    assertThat((double) all7.get("fused_ratio_median_of_rounds")).isPositive();
    assertThat((double) all7.get("djl_ratio")).isPositive();
    assertThat(decode.get(1).get("fused_strategy"))
        .isEqualTo("KERNEL"); // the test JVM has the Vector API
    // the timed fused and naive variants compute the same logits (fp32 rounding apart)
    assertThat((double) decode.get(1).get("fused_vs_naive_max_rel_diff")).isBetween(0.0, 1e-4);
    // the bf16 pool holds the same adapters rounded: its fused step against the naive loop over
    // that pool, and
    // its floor from half the fp32 bytes
    assertThat((double) decode.get(1).get("fused_bf16_vs_naive_max_rel_diff")).isBetween(0.0, 1e-4);
    Map<String, Object> bf16 = (Map<String, Object>) decode.get(1).get("all7_bf16");
    assertThat((double) bf16.get("adapter_mib") * 2)
        .isCloseTo((double) all7.get("adapter_mib"), org.assertj.core.data.Offset.offset(0.01));
    assertThat((double) bf16.get("fused_ratio")).isPositive();
    assertThat(machine.get("device")).isEqualTo("cpu()");
    List<Map<String, Object>> mixlora =
        (List<Map<String, Object>>) ((Map<String, Object>) out.get("mixlora_ffn")).get("by_rows");
    assertThat(mixlora).hasSize(2);
    assertThat(mixlora.get(0).get("fused_strategy")).isEqualTo("KERNEL");
    assertThat((double) mixlora.get(0).get("fused_ratio_median_of_rounds")).isPositive();
    assertThat((double) mixlora.get(1).get("reference_style_ratio")).isPositive();
    assertThat((double) mixlora.get(1).get("fused_vs_reference_max_rel_diff")).isBetween(0.0, 1e-4);
    assertThat((double[]) mixlora.get(1).get("fused_ms_per_round")).hasSize(1);
    assertThat(((double[]) mixlora.get(1).get("fused_ms_per_round"))[0]).isPositive();
    List<Map<String, Object>> training =
        (List<Map<String, Object>>) ((Map<String, Object>) out.get("training")).get("by_job_batch");
    assertThat(training).hasSize(1);
    assertThat(training.get(0).get("rows_per_job_step")).isEqualTo(4);
    assertThat((double) training.get(0).get("fused_tokens_per_s")).isPositive();
    assertThat((double) training.get(0).get("speedup")).isPositive();
    assertThat((double) training.get(0).get("speedup_ceiling_from_idle_compute")).isPositive();
  }

  @Test
  void badOptionsFailWithOneClearMessage() {
    assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--hidden", "abc"}))
        .hasMessage("--hidden expects an integer, got 'abc'");
    assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--frobnicate", "1"}))
        .hasMessageContaining("unknown option --frobnicate");
    assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--parts", "decode,gpu"}))
        .hasMessageContaining("unknown part 'gpu'");
    assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--top-k", "9", "--experts", "8"}))
        .hasMessageContaining("exceeds --experts");
    assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--job-batches", "1x32,4"}))
        .hasMessageContaining("--job-batches expects SEQUENCESxLENGTH");
    assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--job-sequence-length", "1"}))
        .hasMessageContaining("at least 2 tokens");
    assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--device", "tpu"}))
        .hasMessage("--device expects cpu, gpu or gpu:N, got 'tpu'");
    assertThat(BenchOptions.parse(new String[] {"--device", "GPU:1"}).device()).isEqualTo("gpu:1");
    assertThat(BenchOptions.defaults().device()).isEqualTo("cpu");
  }

  @Test
  void perJobBatchesDefaultToSmallAndLargeAndOneOfThemCanBeChosen() {
    assertThat(BenchOptions.defaults().jobBatches())
        .containsExactly(new int[] {1, 32}, new int[] {4, 64});
    assertThat(BenchOptions.parse(new String[] {"--job-batches", "2x16,8x8"}).jobBatches())
        .containsExactly(new int[] {2, 16}, new int[] {8, 8});
    assertThat(
            BenchOptions.parse(new String[] {"--job-sequences", "4", "--job-sequence-length", "64"})
                .jobBatches())
        .containsExactly(new int[] {4, 64});
    assertThat(BenchOptions.parse(new String[] {"--job-sequence-length", "16"}).jobBatches())
        .containsExactly(new int[] {1, 16});
  }
}
