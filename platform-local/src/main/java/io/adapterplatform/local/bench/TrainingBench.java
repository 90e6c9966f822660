package io.adapterplatform.local.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.adapterplatform.engine.format.DType;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.Devices;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.model.ModelDirectory;
import io.adapterplatform.engine.testing.TinyModels;
import io.adapterplatform.engine.train.AdamW;
import io.adapterplatform.engine.train.FusedTrainer;
import io.adapterplatform.engine.train.LoraSpec;
import io.adapterplatform.engine.train.LrSchedule;
import io.adapterplatform.engine.train.TrainingConfig;
import io.adapterplatform.engine.train.TrainingExample;
import io.adapterplatform.engine.train.TrainingJob;
import io.adapterplatform.local.LocalPlatform;
import io.adapterplatform.training.worker.DatasetTokenizer;
import io.adapterplatform.training.worker.JobTimings;
import io.adapterplatform.training.worker.Workers;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code bin/platform bench training}: LoRA jobs through the training service end to end (datasets
 * and jobs submitted over HTTP, queued on Kafka, trained by the worker, published to the registry),
 * for 1, 2, 4 and 8 jobs: all submitted at once (the worker fuses them) against the same jobs one
 * after another (each submitted once the previous one is published), then the bare engine's {@link
 * FusedTrainer} on the same jobs in the same JVM. Starts its own platform on embedded backends on a
 * temporary directory, uploads a base model it builds and datasets it generates.
 */
public final class TrainingBench {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** Letters the tiny tokenizer has no merges for: each character is exactly one token. */
  private static final String ALPHABET = "abcdfgijklmnopqrsuvwxyz0123456789";

  private static final double LEARNING_RATE = 1e-4;
  private static final Duration JOB_TIMEOUT = Duration.ofMinutes(15);

  /**
   * How often the bench asks for its jobs' states. Every request is work on the cores the training
   * steps run on, so the bench asks rarely; its times come from the jobs' own {@code updatedAt},
   * not from when a poll saw them end, so the interval does not round them.
   */
  private static final Duration POLL = Duration.ofMillis(250);

  private final TrainingBenchArgs options;
  private final PrintStream out;
  private final RegistryHttp http;
  private final Path work;
  private final Workers workers;
  private final String suffix = Long.toString(System.currentTimeMillis(), 36);
  private final Map<String, Instant> submittedAt = new HashMap<>();

  private TrainingBench(
      TrainingBenchArgs options, PrintStream out, RegistryHttp http, Path work, Workers workers) {
    this.options = options;
    this.out = out;
    this.http = http;
    this.work = work;
    this.workers = workers;
  }

  /** One row: the same jobs fused, one after another, and on the bare engine. */
  record Row(
      int jobs,
      long tokens,
      double sequentialSeconds,
      double sequentialPeakMiB,
      double fusedSeconds,
      double fusedPeakMiB,
      int fewestFusedWith,
      double engineSeconds,
      double enginePeakMiB) {

    double sequentialTps() {
      return tokens / sequentialSeconds;
    }

    double fusedTps() {
      return tokens / fusedSeconds;
    }

    double engineTps() {
      return tokens / engineSeconds;
    }
  }

  public static void main(String[] args) {
    // Kafka's and the HTTP clients' non-daemon threads would keep the JVM alive.
    System.exit(run(args, System.out));
  }

  /** Runs the bench, printing to {@code out}; the exit status (0 done, 1 failed, 2 bad usage). */
  static int run(String[] args, PrintStream out) {
    TrainingBenchArgs options;
    try {
      options = TrainingBenchArgs.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("bench: " + e.getMessage() + "\n" + TrainingBenchArgs.USAGE);
      return 2;
    }
    Path work = null;
    try {
      work = Files.createTempDirectory("training-bench-");
      var token = "bench-" + UUID.randomUUID();
      line(out, "starting a platform on %s ...", work.resolve("data"));
      var started = System.nanoTime();
      try (var platform =
          LocalPlatform.start(
              work.resolve("data"), 0, token, platformProperties(options.maxJobs()))) {
        var url = "http://127.0.0.1:" + platform.port();
        line(out, "platform up in %.1f s at %s", (System.nanoTime() - started) / 1e9, url);
        new TrainingBench(
                options,
                out,
                new RegistryHttp(url, token),
                work,
                platform.context().getBean(Workers.class))
            .run();
      }
      return 0;
    } catch (Exception e) {
      System.err.println("bench: " + e);
      e.printStackTrace();
      return 1;
    } finally {
      if (work != null) {
        deleteTree(work);
      }
    }
  }

  /**
   * What the bench's own platform runs with besides the defaults: room for the largest row in one
   * fused step, and a short fuse window and poll interval (each sequential job loads the base model
   * afresh, since a worker unloads an idle one, and would otherwise wait 1 s for partners).
   */
  static Map<String, Object> platformProperties(int maxJobs) {
    return Map.of(
        "logging.level.root", "WARN",
        "logging.level.io.adapterplatform", "WARN",
        "spring.main.banner-mode", "off",
        "platform.training.max-fused-jobs", maxJobs,
        "platform.training.worker.fuse-window", "300ms",
        "platform.training.worker.poll-interval", "200ms");
  }

  private void run() throws Exception {
    var dims = options.dims();
    line(
        "training bench %s  cores=%d  java=%s  load average %s",
        Instant.now(),
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        loadAverage());
    line(
        "model: LLaMA-shaped, hidden %d, intermediate %d, %d layers, %d heads / %d KV heads, vocabulary %d;"
            + " jobs: LoRA r=%d on all 7 projections, %d steps of %d x %d tokens, AdamW, lr %.0e,"
            + " checkpoint every %d steps",
        dims.hiddenSize(),
        dims.intermediateSize(),
        dims.numLayers(),
        dims.numHeads(),
        dims.numKvHeads(),
        dims.vocabSize(),
        options.rank(),
        options.steps(),
        options.sequences(),
        options.sequenceLength(),
        LEARNING_RATE,
        options.checkpointEvery());
    var peakGflops = matmulGflops(Math.min(1024, Math.max(256, dims.hiddenSize())));
    line("machine: fp32 matmul %.1f GFLOP/s (idle compute, measured now)", peakGflops);

    var modelDir = Files.createDirectories(work.resolve("model"));
    TinyModels.writeModel(modelDir, dims, 7, DType.F16, 1);
    TinyModels.writeTokenizer(modelDir);
    var baseModel = "bench-base-" + suffix;
    RegistryHttp.expect(
        http.multipart(
            "/api/v1/base-models",
            Map.of("name", baseModel),
            List.of(
                new RegistryHttp.FilePart("config.json", modelDir.resolve("config.json")),
                new RegistryHttp.FilePart(
                    "model.safetensors", modelDir.resolve("model.safetensors")),
                new RegistryHttp.FilePart("tokenizer.json", modelDir.resolve("tokenizer.json")))),
        201,
        "base model upload");

    var datasets = new ArrayList<String>();
    var examples = new ArrayList<List<TrainingExample>>();
    try (var tokenizer = DatasetTokenizer.open(modelDir)) {
      for (var j = 0; j < options.maxJobs(); j++) {
        var jsonl = datasetJsonl(j);
        var tokenized =
            tokenizer.examples(
                new BufferedReader(new StringReader(jsonl)), options.sequenceLength());
        for (var example : tokenized.examples()) {
          if (example.tokens().length != options.sequenceLength()) {
            throw new IllegalStateException(
                "a generated record has "
                    + example.tokens().length
                    + " tokens, not "
                    + options.sequenceLength());
          }
        }
        examples.add(tokenized.examples());
        datasets.add(uploadDataset("bench-data-" + j + "-" + suffix, jsonl));
      }
    }
    line(
        "uploaded base model %s (%.1f MiB, F16) and %d datasets of %d records",
        baseModel,
        Files.size(modelDir.resolve("model.safetensors")) / 1048576.0,
        datasets.size(),
        examples.getFirst().size());

    // The first job loads classes and compiles the hot paths; it is not counted.
    var warm = Instant.now();
    awaitAll(List.of(submit(baseModel, datasets.getFirst(), "warmup", 0, 2)));
    line("warm-up job published in %.1f s", Duration.between(warm, Instant.now()).toMillis() / 1e3);

    var rows = new ArrayList<Row>();
    for (var n : options.jobCounts()) {
      var tokens = (long) n * options.steps() * options.sequences() * options.sequenceLength();
      var sequentialReset = resetPeakRss();
      var sequentialIds = new ArrayList<String>();
      var sequentialSeconds = 0.0;
      for (var j = 0; j < n; j++) {
        sequentialIds.add(submit(baseModel, datasets.get(j), "seq" + n, j, options.steps()));
        sequentialSeconds += secondsToPublished(awaitAll(List.of(sequentialIds.getLast())));
      }
      var sequentialPeak = sequentialReset ? peakRssMiB() : Double.NaN;

      var fusedReset = resetPeakRss();
      var ids = new ArrayList<String>();
      for (var j = 0; j < n; j++) {
        ids.add(submit(baseModel, datasets.get(j), "fused" + n, j, options.steps()));
      }
      var finished = awaitAll(ids);
      var fusedSeconds = secondsToPublished(finished);
      var fusedPeak = fusedReset ? peakRssMiB() : Double.NaN;
      var fewestFusedWith =
          finished.stream().mapToInt(job -> job.path("fusedWith").size()).min().orElse(0);
      rows.add(
          new Row(
              n,
              tokens,
              sequentialSeconds,
              sequentialPeak,
              fusedSeconds,
              fusedPeak,
              fewestFusedWith,
              Double.NaN,
              Double.NaN));
      // What the jobs' own step rows say was spent in training steps; the rest of the wall time is
      // queueing, claims, model loads, checkpoints, export and publishing.
      var sequentialSteps = 0.0;
      for (var id : sequentialIds) {
        sequentialSteps += stepSeconds(id);
      }
      var fusedSteps = 0.0;
      for (var id : ids) {
        fusedSteps = Math.max(fusedSteps, stepSeconds(id));
      }
      line(
          "service, %d jobs: one after another %.1f s (%.1f s in training steps), fused %.1f s (%.1f s in"
              + " training steps; each job fused with at least %d others)",
          n, sequentialSeconds, sequentialSteps, fusedSeconds, fusedSteps, fewestFusedWith);
      line("  one after another, %s", phases(sequentialIds));
      line("  fused, %s", phases(ids));
    }

    // The bare engine after every service row, so that its loaded model does not count in their
    // peaks.
    try (BaseModel model = ModelDirectory.load(modelDir, Devices.fromSystemProperty())) {
      var trainer = new FusedTrainer(model);
      bareEngine(trainer, model, examples, 1, 2); // warm-up, not counted
      for (var i = 0; i < rows.size(); i++) {
        var row = rows.get(i);
        var reset = resetPeakRss();
        var seconds = bareEngine(trainer, model, examples, row.jobs(), options.steps());
        rows.set(
            i,
            new Row(
                row.jobs(),
                row.tokens(),
                row.sequentialSeconds(),
                row.sequentialPeakMiB(),
                row.fusedSeconds(),
                row.fusedPeakMiB(),
                row.fewestFusedWith(),
                seconds,
                reset ? peakRssMiB() : Double.NaN));
      }
    }
    report(rows, peakGflops);
  }

  private void report(List<Row> rows, double peakGflops) {
    var dims = options.dims();
    var flopsPerToken = 4.0 * (linearParams(dims) + (double) dims.vocabSize() * dims.hiddenSize());
    // Idle compute: what fusion could gain at most, from one job alone on the bare engine (as the
    // engine bench computes it), else from the service's first sequential row.
    var solo =
        rows.stream()
            .filter(r -> r.jobs() == 1)
            .findFirst()
            .map(Row::engineTps)
            .orElse(rows.getFirst().sequentialTps());
    var ceiling = peakGflops / (solo * flopsPerToken / 1e9);
    line("");
    line(
        "%-5s %-28s %-28s %-9s %-8s %-22s %-10s",
        "jobs",
        "one after another tok/s",
        "fused tok/s",
        "fused/seq",
        "ceiling",
        "bare engine tok/s",
        "svc/engine");
    for (var r : rows) {
      line(
          "jobs=%-3d %8.1f (%6.1f s, %6.0f MiB)  %8.1f (%6.1f s, %6.0f MiB)  %-9.2f %-8.2f %8.1f (%6.0f MiB)    %.2f",
          r.jobs(),
          r.sequentialTps(),
          r.sequentialSeconds(),
          r.sequentialPeakMiB(),
          r.fusedTps(),
          r.fusedSeconds(),
          r.fusedPeakMiB(),
          r.fusedTps() / r.sequentialTps(),
          ceiling,
          r.engineTps(),
          r.enginePeakMiB(),
          r.fusedTps() / r.engineTps());
    }
    line("");
    line(
        "one after another: each job submitted once the previous one is published (max-fused-jobs %d);"
            + " tokens/s: the jobs' tokens over the time from a job's submit to its SUCCEEDED (the job's"
            + " updatedAt), summed over the jobs one after another, from the first submit to the last"
            + " SUCCEEDED when fused (queue, claim, base model load, training, checkpoints, export,"
            + " publish)",
        options.maxJobs());
    line(
        "ceiling: measured %.1f GFLOP/s / one job alone on the bare engine %.1f GFLOP/s (4 x"
            + " (projection + lm_head parameters) per token): what fusion could gain at most here",
        peakGflops, solo * flopsPerToken / 1e9);
    line(
        "peak memory: process peak RSS (VmHWM, reset before each phase) of the one JVM that holds the"
            + " services, Kafka, the worker and the bench; PostgreSQL's own processes not included");
    for (var r : rows) {
      if (r.jobs() == 4) {
        line(
            "target: 4 jobs fused / one after another = %.3f (target >= 1.5, ceiling %.2f): %s",
            r.fusedTps() / r.sequentialTps(),
            ceiling,
            r.fusedTps() / r.sequentialTps() >= 1.5 ? "met" : "not met");
        line(
            "target: service fused / bare engine fused, 4 jobs = %.3f (target >= 0.9): %s",
            r.fusedTps() / r.engineTps(), r.fusedTps() / r.engineTps() >= 0.9 ? "met" : "not met");
      }
    }
    line("load average at the end: %s", loadAverage());
  }

  /**
   * Seconds for {@code n} jobs' {@code steps} fused steps on the bare engine, jobs built inside.
   */
  private double bareEngine(
      FusedTrainer trainer,
      BaseModel model,
      List<List<TrainingExample>> examples,
      int n,
      int steps) {
    var t0 = System.nanoTime();
    var jobs = new ArrayList<TrainingJob>();
    try {
      for (var j = 0; j < n; j++) {
        var config =
            new TrainingConfig(
                j,
                options.sequences(),
                AdamW.Hyper.defaults(),
                new LrSchedule(LEARNING_RATE, 0, steps, LrSchedule.Decay.LINEAR));
        jobs.add(
            TrainingJob.lora(
                "engine-" + j,
                model,
                new LoraSpec(
                    options.rank(),
                    2.0 * options.rank(),
                    false,
                    false,
                    EnumSet.allOf(Projection.class)),
                config,
                examples.get(j)));
      }
      for (var s = 0; s < steps; s++) {
        trainer.step(jobs);
      }
      return (System.nanoTime() - t0) / 1e9;
    } finally {
      jobs.forEach(TrainingJob::close);
    }
  }

  /** Records of exactly {@code sequenceLength} tokens (the text's characters, then EOS). */
  private String datasetJsonl(int job) {
    var random = new SplittableRandom(1000 + job);
    var records = Math.max(32, options.sequences() * 4);
    var jsonl = new StringBuilder();
    for (var i = 0; i < records; i++) {
      var text = new StringBuilder();
      for (var c = 0; c < options.sequenceLength() - 1; c++) {
        text.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
      }
      jsonl.append("{\"text\": \"").append(text).append("\"}\n");
    }
    return jsonl.toString();
  }

  private String uploadDataset(String name, String jsonl) throws Exception {
    var file = RegistryHttp.textFile(work, name + ".jsonl", jsonl);
    var response =
        http.multipart(
            "/api/v1/datasets",
            Map.of("name", name),
            "file",
            List.of(new RegistryHttp.FilePart(name + ".jsonl", file)));
    RegistryHttp.expect(response, 201, "dataset upload");
    var body = JSON.readTree(response.body());
    return body.get("name").asString() + "@" + body.get("version").asInt();
  }

  private String submit(String baseModel, String dataset, String phase, int job, int steps)
      throws Exception {
    var targets =
        String.join(
            ",", Arrays.stream(Projection.values()).map(p -> "\"" + p.module() + "\"").toList());
    var spec =
        """
        {"baseModel": "%s", "dataset": "%s", "output": {"adapter": "bench-%s-%d-%s"}, "method": "LORA",
         "lora": {"r": %d, "alpha": %d, "dropout": 0, "targetModules": [%s]},
         "training": {"steps": %d, "batchSize": %d, "learningRate": %s, "warmupSteps": 0,
                      "schedule": "linear", "maxSeqLen": %d, "seed": %d, "checkpointEvery": %d}}
        """
            .formatted(
                baseModel,
                dataset,
                phase,
                job,
                suffix,
                options.rank(),
                2 * options.rank(),
                targets,
                steps,
                options.sequences(),
                LEARNING_RATE,
                options.sequenceLength(),
                job,
                Math.min(options.checkpointEvery(), steps));
    var submitted = Instant.now();
    var response = http.postJson("/api/v1/jobs", spec);
    RegistryHttp.expect(response, 202, "job submission");
    var id = JSON.readTree(response.body()).get("id").asString();
    submittedAt.put(id, submitted);
    return id;
  }

  /** Polls until every job has SUCCEEDED; fails on a job that ended otherwise. */
  private List<JsonNode> awaitAll(List<String> ids) throws Exception {
    var deadline = System.nanoTime() + JOB_TIMEOUT.toNanos();
    var done = new LinkedHashMap<String, JsonNode>();
    while (done.size() < ids.size()) {
      for (var id : ids) {
        if (done.containsKey(id)) {
          continue;
        }
        var response = http.get("/api/v1/jobs/" + id);
        RegistryHttp.expect(response, 200, "job " + id);
        var job = JSON.readTree(response.body());
        var state = job.get("state").asString();
        switch (state) {
          case "SUCCEEDED" -> done.put(id, job);
          case "FAILED", "CANCELLED" ->
              throw new IllegalStateException("job " + id + " ended " + state + ": " + job);
          default -> {
            if (System.nanoTime() > deadline) {
              throw new IllegalStateException("job " + id + " still " + state + ": " + job);
            }
          }
        }
      }
      if (done.size() < ids.size()) {
        Thread.sleep(POLL);
      }
    }
    return List.copyOf(done.values());
  }

  /**
   * From the first of {@code finished}'s submits to the last one's SUCCEEDED (its {@code
   * updatedAt}, stamped by this JVM's clock like the submits).
   */
  private double secondsToPublished(List<JsonNode> finished) {
    var first =
        finished.stream()
            .map(job -> submittedAt.get(job.get("id").asString()))
            .min(Instant::compareTo)
            .orElseThrow();
    var last =
        finished.stream()
            .map(job -> Instant.parse(job.get("updatedAt").asString()))
            .max(Instant::compareTo)
            .orElseThrow();
    return Duration.between(first, last).toNanos() / 1e9;
  }

  /**
   * The worker's phases of {@code ids}, mean milliseconds per job: from the submit to the claim,
   * then each phase of {@link JobTimings}; those marked "beside" run off the stepping thread, while
   * the next steps go on.
   */
  private String phases(List<String> ids) {
    var sums = new java.util.EnumMap<JobTimings.Phase, Double>(JobTimings.Phase.class);
    var queue = 0.0;
    var counted = 0;
    for (var id : ids) {
      var timings = workers.timings(UUID.fromString(id));
      if (timings.isEmpty()) {
        continue;
      }
      counted++;
      queue += Duration.between(submittedAt.get(id), timings.get().claimedAt()).toNanos() / 1e6;
      for (var phase : JobTimings.Phase.values()) {
        sums.merge(phase, timings.get().of(phase).toNanos() / 1e6, Double::sum);
      }
    }
    if (counted == 0) {
      return "per job: no timings (the worker that ran the jobs is gone)";
    }
    var text = new StringBuilder("per job (ms, mean):");
    text.append(" submit-to-claim %.0f".formatted(queue / counted));
    for (var phase : JobTimings.Phase.values()) {
      var beside =
          phase == JobTimings.Phase.STEP_REPORTS
              || phase == JobTimings.Phase.CHECKPOINT_STORE
              || phase == JobTimings.Phase.PUBLISH_WAIT
              || phase == JobTimings.Phase.PUBLISH
              || phase == JobTimings.Phase.ALIAS
              || phase == JobTimings.Phase.FINISH;
      text.append(
          ", %s %.0f%s"
              .formatted(
                  phase.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '),
                  sums.getOrDefault(phase, 0.0) / counted,
                  beside ? " (beside)" : ""));
    }
    return text.toString();
  }

  /** Seconds the job spent in (possibly fused) training steps, from its per-step tokens/s. */
  private double stepSeconds(String id) throws Exception {
    var response = http.get("/api/v1/jobs/" + id + "/metrics");
    RegistryHttp.expect(response, 200, "metrics of job " + id);
    var tokensPerStep = (double) options.sequences() * options.sequenceLength();
    var seconds = 0.0;
    for (var step : JSON.readTree(response.body()).get("steps")) {
      var tps = step.get("tokensPerSecond").asDouble();
      if (tps > 0) {
        seconds += tokensPerStep / tps;
      }
    }
    return seconds;
  }

  private static double linearParams(ModelDims dims) {
    double p = 0;
    for (var proj : Projection.values()) {
      p += (double) dims.inFeatures(proj) * dims.outFeatures(proj);
    }
    return p * dims.numLayers();
  }

  /** fp32 GEMM rate on the training device: median of 5 n×n products after 2 warm-up ones. */
  private static double matmulGflops(int n) {
    try (var manager = NDManager.newBaseManager(Devices.fromSystemProperty())) {
      NDArray a = manager.randomUniform(-1f, 1f, new Shape(n, n));
      NDArray b = manager.randomUniform(-1f, 1f, new Shape(n, n));
      var times = new double[5];
      for (var i = -2; i < times.length; i++) {
        var t0 = System.nanoTime();
        try (var c = a.matMul(b)) {
          c.getFloat(0, 0);
        }
        if (i >= 0) {
          times[i] = (System.nanoTime() - t0) / 1e9;
        }
      }
      Arrays.sort(times);
      return 2.0 * n * n * n / times[times.length / 2] / 1e9;
    }
  }

  /** Resets the process's peak RSS mark (Linux); false where it cannot. */
  private static boolean resetPeakRss() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** The process's peak RSS since the last reset, MiB; NaN where unknown. */
  private static double peakRssMiB() {
    try {
      for (var l : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (l.startsWith("VmHWM:")) {
          return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return Double.NaN;
  }

  private static String loadAverage() {
    try {
      var parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return parts[0] + " " + parts[1] + " " + parts[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private void line(String format, Object... args) {
    line(out, format, args);
  }

  private static void line(PrintStream out, String format, Object... args) {
    out.println(args.length == 0 ? format : format.formatted(args));
    out.flush();
  }

  private static void deleteTree(Path dir) {
    try (var walk = Files.walk(dir)) {
      for (var p : walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      System.err.println("bench: could not delete " + dir + ": " + e.getMessage());
    }
  }
}
