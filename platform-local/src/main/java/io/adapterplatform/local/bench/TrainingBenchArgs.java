package io.adapterplatform.local.bench;

import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.testing.TinyModels;
import java.util.ArrayList;
import java.util.List;

/**
 * Command-line options of {@code bin/platform bench training}.
 *
 * @param jobCounts how many jobs each row trains (fused, then one after another)
 * @param steps optimizer steps per job
 * @param sequences sequences per job and step (the job's {@code batchSize})
 * @param sequenceLength tokens per sequence (every generated record has exactly this many)
 * @param rank LoRA rank on all seven projections
 * @param checkpointEvery the jobs' {@code checkpointEvery}
 * @param dims the base model's shape
 */
record TrainingBenchArgs(
    List<Integer> jobCounts,
    int steps,
    int sequences,
    int sequenceLength,
    int rank,
    int checkpointEvery,
    ModelDims dims) {

  static final String USAGE =
      "usage: bin/platform bench training [--quick] [--jobs 1,2,4,8] [--steps 10]"
          + " [--sequences 1] [--sequence-length 32] [--rank 16] [--checkpoint-every 5]";

  /** The engine bench's training model: hidden 1024, 4 layers, 16 heads / 8 KV heads. */
  static final ModelDims DEFAULT_DIMS =
      new ModelDims(1024, 2816, 4, 16, 8, 64, 1e-5, 10000.0, false, TinyModels.TOKENIZER_VOCAB);

  static TrainingBenchArgs parse(String[] args) {
    var quick = false;
    List<Integer> jobs = null;
    Integer steps = null;
    Integer sequences = null;
    Integer length = null;
    Integer rank = null;
    Integer checkpointEvery = null;
    for (var i = 0; i < args.length; i++) {
      var arg = args[i];
      if (arg.equals("--quick")) {
        quick = true;
        continue;
      }
      if (!arg.startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("unexpected argument '" + arg + "'");
      }
      var value = args[++i];
      switch (arg) {
        case "--jobs" -> jobs = jobCounts(value);
        case "--steps" -> steps = positive(arg, value);
        case "--sequences" -> sequences = positive(arg, value);
        case "--sequence-length" -> length = positive(arg, value);
        case "--rank" -> rank = positive(arg, value);
        case "--checkpoint-every" -> checkpointEvery = positive(arg, value);
        default -> throw new IllegalArgumentException("unknown option " + arg);
      }
    }
    var parsed =
        quick
            ? new TrainingBenchArgs(
                jobs != null ? jobs : List.of(1, 2),
                steps != null ? steps : 3,
                sequences != null ? sequences : 1,
                length != null ? length : 16,
                rank != null ? rank : 4,
                checkpointEvery != null ? checkpointEvery : 2,
                TinyModels.tokenizerDims())
            : new TrainingBenchArgs(
                jobs != null ? jobs : List.of(1, 2, 4, 8),
                steps != null ? steps : 10,
                sequences != null ? sequences : 1,
                length != null ? length : 32,
                rank != null ? rank : 16,
                checkpointEvery != null ? checkpointEvery : 5,
                DEFAULT_DIMS);
    if (parsed.sequenceLength < 2) {
      throw new IllegalArgumentException("--sequence-length must be at least 2");
    }
    return parsed;
  }

  int maxJobs() {
    return jobCounts.stream().mapToInt(Integer::intValue).max().orElseThrow();
  }

  private static List<Integer> jobCounts(String value) {
    var out = new ArrayList<Integer>();
    for (var part : value.split(",")) {
      out.add(positive("--jobs", part.trim()));
    }
    return List.copyOf(out);
  }

  private static int positive(String name, String value) {
    try {
      var n = Integer.parseInt(value);
      if (n <= 0) {
        throw new IllegalArgumentException(name + " must be positive, was " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a number, was '" + value + "'");
    }
  }
}
