package io.adapterplatform.engine.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The benchmark is not part of the suite; this only checks that a tiny run produces every figure. */
class EngineBenchSmokeTest {

    @Test
    @SuppressWarnings("unchecked")
    void aTinyRunReportsEveryPartWithItsFloor() {
        BenchOptions options = BenchOptions.parse(new String[] {"--quick", "--hidden", "32", "--intermediate", "48",
                "--layers", "1", "--vocab", "64", "--batch", "2", "--distinct", "1,2", "--context", "3", "--experts", "4",
                "--ffn-rows", "2", "--jobs", "2", "--job-sequences", "1", "--job-sequence-length", "4", "--warmup", "0",
                "--reps", "1"});

        Map<String, Object> out = new EngineBench(options).run();

        assertThat(out).containsKeys("machine", "shape", "decode", "mixlora_ffn", "training");
        Map<String, Object> machine = (Map<String, Object>) out.get("machine");
        assertThat((double) machine.get("fp32_matmul_gflops")).isPositive();
        assertThat((double) machine.get("read_bandwidth_gbs")).isPositive();
        List<Map<String, Object>> decode = (List<Map<String, Object>>) ((Map<String, Object>) out.get("decode")).get("by_distinct");
        assertThat(decode).hasSize(2);
        Map<String, Object> all7 = (Map<String, Object>) decode.get(1).get("all7");
        assertThat((double) all7.get("floor_ratio")).isGreaterThanOrEqualTo(1.0);
        assertThat((double) all7.get("fused_ratio")).isPositive();
        assertThat((double) all7.get("djl_ratio")).isPositive();
        assertThat(decode.get(1).get("fused_strategy")).isEqualTo("KERNEL"); // the test JVM has the Vector API
        Map<String, Object> training = (Map<String, Object>) out.get("training");
        assertThat((double) training.get("fused_tokens_per_s")).isPositive();
        assertThat((double) training.get("speedup")).isPositive();
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
    }
}
