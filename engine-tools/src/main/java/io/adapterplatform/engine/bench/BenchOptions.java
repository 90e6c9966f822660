package io.adapterplatform.engine.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Command-line options of {@link EngineBench}. Defaults are the shape of the engine benchmark
 * (hidden 1024, intermediate 2816, 8 layers, 16 heads / 8 KV heads, batch 32, rank 16, fp32);
 * {@code --quick} shrinks everything for a smoke run of a few seconds.
 */
record BenchOptions(
    int hidden,
    int intermediate,
    int layers,
    int heads,
    int kvHeads,
    int vocab,
    int batch,
    int rank,
    int context,
    int[] distinct,
    int experts,
    int topK,
    int ffnRows,
    int jobs,
    List<int[]> jobBatches,
    int warmup,
    int reps,
    boolean quick,
    List<String> parts,
    String device) {

  static final List<String> ALL_PARTS = List.of("machine", "decode", "mixlora", "train");

  static BenchOptions defaults() {
    return new BenchOptions(
        1024,
        2816,
        8,
        16,
        8,
        2048,
        32,
        16,
        64,
        new int[] {1, 8, 32, 64},
        8,
        2,
        32,
        4,
        List.of(new int[] {1, 32}, new int[] {4, 64}),
        2,
        5,
        false,
        ALL_PARTS,
        "cpu");
  }

  static BenchOptions quickDefaults() {
    return new BenchOptions(
        128,
        352,
        2,
        4,
        2,
        256,
        8,
        8,
        8,
        new int[] {1, 8},
        8,
        2,
        8,
        4,
        List.<int[]>of(new int[] {2, 16}),
        1,
        3,
        true,
        ALL_PARTS,
        "cpu");
  }

  /** Parses {@code args}; throws IllegalArgumentException with a one-line message on bad input. */
  static BenchOptions parse(String[] args) {
    boolean quick = List.of(args).contains("--quick");
    BenchOptions o = quick ? quickDefaults() : defaults();
    int hidden = o.hidden,
        intermediate = o.intermediate,
        layers = o.layers,
        heads = o.heads,
        kvHeads = o.kvHeads;
    int vocab = o.vocab,
        batch = o.batch,
        rank = o.rank,
        context = o.context,
        experts = o.experts,
        topK = o.topK;
    int ffnRows = o.ffnRows, jobs = o.jobs;
    List<int[]> jobBatches = o.jobBatches;
    Integer jobSequences =
        null; // --job-sequences / --job-sequence-length: one per-job batch, the rest from the first
    // default
    Integer jobSequenceLength = null;
    int warmup = o.warmup, reps = o.reps;
    int[] distinct = o.distinct;
    List<String> parts = o.parts;
    String device = o.device;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (flag.equals("--quick")) {
        continue;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(
            "option " + flag + " needs a value (or is unknown); see --help");
      }
      String v = args[++i];
      switch (flag) {
        case "--hidden" -> hidden = positive(flag, v);
        case "--intermediate" -> intermediate = positive(flag, v);
        case "--layers" -> layers = positive(flag, v);
        case "--heads" -> heads = positive(flag, v);
        case "--kv-heads" -> kvHeads = positive(flag, v);
        case "--vocab" -> vocab = positive(flag, v);
        case "--batch" -> batch = positive(flag, v);
        case "--rank" -> rank = positive(flag, v);
        case "--context" -> context = positive(flag, v);
        case "--distinct" -> distinct = positives(flag, v);
        case "--experts" -> experts = positive(flag, v);
        case "--top-k" -> topK = positive(flag, v);
        case "--ffn-rows" -> ffnRows = positive(flag, v);
        case "--jobs" -> jobs = positive(flag, v);
        case "--job-sequences" -> jobSequences = positive(flag, v);
        case "--job-sequence-length" -> jobSequenceLength = positive(flag, v);
        case "--job-batches" -> jobBatches = batchList(flag, v);
        case "--warmup" -> warmup = nonNegative(flag, v);
        case "--reps" -> reps = positive(flag, v);
        case "--parts" -> parts = partList(v);
        case "--device" -> device = deviceName(v);
        default -> throw new IllegalArgumentException("unknown option " + flag + "; see --help");
      }
    }
    if (hidden % heads != 0 || heads % kvHeads != 0 || (hidden / heads) % 2 != 0) {
      throw new IllegalArgumentException(
          "--hidden must be a multiple of --heads with an even head size, and"
              + " --heads a multiple of --kv-heads");
    }
    if (topK > experts) {
      throw new IllegalArgumentException("--top-k " + topK + " exceeds --experts " + experts);
    }
    if (jobSequences != null || jobSequenceLength != null) {
      int[] first = jobBatches.get(0);
      jobBatches =
          List.<int[]>of(
              new int[] {
                jobSequences != null ? jobSequences : first[0],
                jobSequenceLength != null ? jobSequenceLength : first[1]
              });
    }
    for (int[] b : jobBatches) {
      if (b[1] < 2) {
        throw new IllegalArgumentException(
            "a training sequence needs at least 2 tokens, got " + b[1]);
      }
    }
    return new BenchOptions(
        hidden,
        intermediate,
        layers,
        heads,
        kvHeads,
        vocab,
        batch,
        rank,
        context,
        distinct,
        experts,
        topK,
        ffnRows,
        jobs,
        jobBatches,
        warmup,
        reps,
        quick,
        parts,
        device);
  }

  static String usage() {
    return """
                usage: bin/platform bench engine [--quick] [--parts machine,decode,mixlora,train]
                  [--hidden 1024] [--intermediate 2816] [--layers 8] [--heads 16] [--kv-heads 8] [--vocab 2048]
                  [--batch 32] [--rank 16] [--context 64] [--distinct 1,8,32,64] [--experts 8] [--top-k 2]
                  [--ffn-rows 32] [--jobs 4] [--job-batches 1x32,4x64 (per job and step: sequences x tokens)]
                  [--job-sequences S --job-sequence-length L (one per-job batch instead)] [--warmup 2] [--reps 5]
                  [--device cpu|gpu|gpu:N (a GPU needs the CUDA natives, see docs/engine.md)]
                prints one JSON object on stdout""";
  }

  private static int positive(String flag, String v) {
    int n = integer(flag, v);
    if (n <= 0) {
      throw new IllegalArgumentException(flag + " must be positive, got " + v);
    }
    return n;
  }

  private static int nonNegative(String flag, String v) {
    int n = integer(flag, v);
    if (n < 0) {
      throw new IllegalArgumentException(flag + " must not be negative, got " + v);
    }
    return n;
  }

  private static int integer(String flag, String v) {
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " expects an integer, got '" + v + "'");
    }
  }

  private static int[] positives(String flag, String v) {
    String[] parts = v.split(",");
    int[] out = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      out[i] = positive(flag, parts[i]);
    }
    return out;
  }

  private static List<int[]> batchList(String flag, String v) {
    List<int[]> out = new ArrayList<>();
    for (String b : v.split(",")) {
      String[] sl = b.trim().split("x");
      if (sl.length != 2) {
        throw new IllegalArgumentException(
            flag + " expects SEQUENCESxLENGTH[,...], e.g. 1x32,4x64; got '" + v + "'");
      }
      out.add(new int[] {positive(flag, sl[0]), positive(flag, sl[1])});
    }
    return List.copyOf(out);
  }

  /**
   * Checks the form only: whether the engine sees that GPU is known once the engine has started.
   */
  private static String deviceName(String v) {
    String n = v.trim().toLowerCase(java.util.Locale.ROOT);
    if (!n.equals("cpu") && !n.matches("gpu(:\\d{1,3})?")) {
      throw new IllegalArgumentException("--device expects cpu, gpu or gpu:N, got '" + v + "'");
    }
    return n;
  }

  private static List<String> partList(String v) {
    List<String> out = new ArrayList<>();
    for (String p : v.split(",")) {
      String part = p.trim();
      if (!ALL_PARTS.contains(part)) {
        throw new IllegalArgumentException(
            "unknown part '" + part + "'; parts are " + String.join(",", ALL_PARTS));
      }
      out.add(part);
    }
    return List.copyOf(out);
  }
}
