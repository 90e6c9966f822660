package io.adapterplatform.local.bench;

import java.util.List;
import java.util.Set;

/**
 * Command-line options of {@code bin/platform bench serving}. The defaults are the engine bench's
 * shape (hidden 1024, intermediate 2816, 8 layers, 16 heads / 8 KV heads, vocabulary 32000, rank 16
 * on all seven projections); {@code --quick} shrinks everything so that a smoke test runs it in
 * seconds, and any option given after it still applies.
 *
 * @param shape the base model
 * @param rank rank of the LoRA and MixLoRA adapters of the throughput phases (all seven
 *     projections; MixLoRA: 8 experts, top-2, LoRA on q_proj and v_proj)
 * @param streams concurrent streams of the throughput phases
 * @param distinct distinct adapters the streams are spread over, one phase each
 * @param prompt prompt tokens of every request
 * @param tokens generated tokens per stream, fused phases
 * @param unfusedTokens generated tokens per stream with one adapter per batch (slow: a step serves
 *     one adapter's rows)
 * @param coldAdapters adapters loaded cold, one after the other
 * @param rotationAdapters distinct adapters of the rotation phase (rank 8 on q_proj and v_proj)
 * @param rotationSlots the device pool's LoRA places (at least the distinct adapters of the phases
 *     and the streams)
 * @param rotationRequests requests of the rotation phase's skewed pass (after one pass over all)
 * @param rotationTokens generated tokens per rotation request
 */
record ServingBenchOptions(
    BenchModel shape,
    int rank,
    int streams,
    List<Integer> distinct,
    int prompt,
    int tokens,
    int unfusedTokens,
    int coldAdapters,
    int rotationAdapters,
    int rotationSlots,
    int rotationRequests,
    int rotationTokens) {

  static final String USAGE =
      "usage: bin/platform bench serving [--quick] [--layers 8] [--streams 64] [--distinct 1,8,64]"
          + " [--prompt 32] [--tokens 16] [--unfused-tokens 4] [--cold-adapters 5]"
          + " [--rotation-adapters 1000] [--rotation-slots 128] [--rotation-requests 1000]"
          + " [--rotation-tokens 2]";

  static final BenchModel DEFAULT_SHAPE = new BenchModel(1024, 2816, 8, 16, 8, 32000);
  static final BenchModel QUICK_SHAPE = new BenchModel(64, 176, 2, 4, 2, 512);

  private static final Set<String> NAMES =
      Set.of(
          "layers",
          "streams",
          "distinct",
          "prompt",
          "tokens",
          "unfused-tokens",
          "cold-adapters",
          "rotation-adapters",
          "rotation-slots",
          "rotation-requests",
          "rotation-tokens");

  static ServingBenchOptions parse(String[] args) {
    var line = BenchCommandLine.parse(args, NAMES, Set.of("quick"));
    var quick = line.flag("quick");
    var shape = quick ? QUICK_SHAPE : DEFAULT_SHAPE;
    if (line.has("layers")) {
      shape =
          new BenchModel(
              shape.hidden(),
              shape.intermediate(),
              line.positive("layers", 0),
              shape.heads(),
              shape.kvHeads(),
              shape.vocab());
    }
    var streams = line.positive("streams", quick ? 8 : 64);
    var distinct = line.positives("distinct", quick ? List.of(1, 4, 8) : List.of(1, 8, 64));
    for (var d : distinct) {
      if (d > streams) {
        throw new IllegalArgumentException(
            "--distinct " + d + " is more than the " + streams + " streams");
      }
    }
    var maxDistinct = distinct.stream().mapToInt(Integer::intValue).max().orElse(1);
    var options =
        new ServingBenchOptions(
            shape,
            quick ? 4 : 16,
            streams,
            distinct,
            line.positive("prompt", quick ? 8 : 32),
            line.positive("tokens", quick ? 4 : 16),
            line.positive("unfused-tokens", 4),
            line.positive("cold-adapters", quick ? 2 : 5),
            line.positive("rotation-adapters", quick ? 24 : 1000),
            // each of the streams' requests in flight holds its adapter's place: fewer places than
            // streams would answer the rest 503 (pool full) instead of measuring the rotation
            Math.max(
                Math.max(maxDistinct, streams), line.positive("rotation-slots", quick ? 8 : 128)),
            line.positive("rotation-requests", quick ? 24 : 1000),
            line.positive("rotation-tokens", 2));
    if (options.tokens < 2 || options.unfusedTokens < 2) {
      throw new IllegalArgumentException(
          "--tokens and --unfused-tokens must be at least 2 (time per output token)");
    }
    return options;
  }

  int maxDistinct() {
    return distinct.stream().mapToInt(Integer::intValue).max().orElse(1);
  }

  /** MixLoRA adapters of a phase over {@code d} distinct adapters: a quarter of them. */
  static int mixLoraOf(int d) {
    return d / 4;
  }
}
