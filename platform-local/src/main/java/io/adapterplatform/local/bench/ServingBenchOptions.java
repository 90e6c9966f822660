package io.adapterplatform.local.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * @param rotationSlots the device pool's LoRA places
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
    Map<String, String> values = new HashMap<>();
    var quick = false;
    for (var i = 0; i < args.length; i++) {
      var arg = args[i];
      if (arg.equals("--quick")) {
        quick = true;
        continue;
      }
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + arg + "'");
      }
      String name;
      String value;
      var eq = arg.indexOf('=');
      if (eq > 0) {
        name = arg.substring(2, eq);
        value = arg.substring(eq + 1);
      } else {
        name = arg.substring(2);
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("--" + name + " needs a value");
        }
        value = args[++i];
      }
      if (!NAMES.contains(name)) {
        throw new IllegalArgumentException("unknown option --" + name);
      }
      values.put(name, value);
    }
    var shape = quick ? QUICK_SHAPE : DEFAULT_SHAPE;
    if (values.containsKey("layers")) {
      var layers = positive(values, "layers", 0);
      shape =
          new BenchModel(
              shape.hidden(),
              shape.intermediate(),
              layers,
              shape.heads(),
              shape.kvHeads(),
              shape.vocab());
    }
    var streams = positive(values, "streams", quick ? 8 : 64);
    var distinct =
        values.containsKey("distinct")
            ? counts(values.get("distinct"))
            : quick ? List.of(1, 4, 8) : List.of(1, 8, 64);
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
            positive(values, "prompt", quick ? 8 : 32),
            positive(values, "tokens", quick ? 4 : 16),
            positive(values, "unfused-tokens", 4),
            positive(values, "cold-adapters", quick ? 2 : 5),
            positive(values, "rotation-adapters", quick ? 24 : 1000),
            Math.max(maxDistinct, positive(values, "rotation-slots", quick ? 8 : 128)),
            positive(values, "rotation-requests", quick ? 24 : 1000),
            positive(values, "rotation-tokens", 2));
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

  private static List<Integer> counts(String text) {
    List<Integer> out = new ArrayList<>();
    for (var part : text.split(",")) {
      try {
        var n = Integer.parseInt(part.trim());
        if (n <= 0) {
          throw new IllegalArgumentException("--distinct values must be positive, was " + n);
        }
        out.add(n);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "--distinct must be comma-separated numbers, was '" + text + "'");
      }
    }
    return List.copyOf(Arrays.asList(out.toArray(Integer[]::new)));
  }

  private static int positive(Map<String, String> values, String name, int fallback) {
    var value = values.get(name);
    if (value == null) {
      return fallback;
    }
    try {
      var n = Integer.parseInt(value);
      if (n <= 0) {
        throw new IllegalArgumentException("--" + name + " must be positive, was " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " must be a number, was '" + value + "'");
    }
  }
}
