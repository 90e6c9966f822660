package io.adapterplatform.local.bench;

import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.testing.TinyModels;
import java.util.List;
import java.util.Set;

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

  private static final Set<String> NAMES =
      Set.of("jobs", "steps", "sequences", "sequence-length", "rank", "checkpoint-every");

  static TrainingBenchArgs parse(String[] args) {
    var line = BenchCommandLine.parse(args, NAMES, Set.of("quick"));
    var parsed =
        line.flag("quick")
            ? new TrainingBenchArgs(
                line.positives("jobs", List.of(1, 2)),
                line.positive("steps", 3),
                line.positive("sequences", 1),
                line.positive("sequence-length", 16),
                line.positive("rank", 4),
                line.positive("checkpoint-every", 2),
                TinyModels.tokenizerDims())
            : new TrainingBenchArgs(
                line.positives("jobs", List.of(1, 2, 4, 8)),
                line.positive("steps", 10),
                line.positive("sequences", 1),
                line.positive("sequence-length", 32),
                line.positive("rank", 16),
                line.positive("checkpoint-every", 5),
                DEFAULT_DIMS);
    if (parsed.sequenceLength < 2) {
      throw new IllegalArgumentException("--sequence-length must be at least 2");
    }
    return parsed;
  }

  int maxJobs() {
    return jobCounts.stream().mapToInt(Integer::intValue).max().orElseThrow();
  }
}
