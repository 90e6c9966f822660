package io.adapterplatform.local.bench;

import ai.djl.ndarray.NDManager;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.fused.GroupedLora;
import io.adapterplatform.engine.fused.PoolStorage;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.KvCache;
import io.adapterplatform.engine.model.KvStore;
import io.adapterplatform.engine.model.Segment;
import io.adapterplatform.local.LocalPlatform;
import io.adapterplatform.serving.batch.BatcherSettings;
import io.adapterplatform.serving.batch.BatcherStats;
import io.adapterplatform.serving.batch.ContinuousBatcher;
import io.adapterplatform.serving.batch.Finish;
import io.adapterplatform.serving.batch.GenerationRequest;
import io.adapterplatform.serving.batch.GenerationSink;
import io.adapterplatform.serving.batch.PoolLayout;
import io.adapterplatform.serving.batch.TokenEvent;
import io.adapterplatform.serving.engine.ServingEngine;
import io.adapterplatform.serving.pool.ServingPool;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
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
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.function.DoubleSupplier;
import java.util.function.ToDoubleFunction;

/**
 * {@code bin/platform bench serving}: generation throughput of the serving service through its
 * OpenAI-compatible HTTP API ({@code POST /v1/completions}, streamed, with the JDK's {@link
 * java.net.http.HttpClient}) on a platform it starts itself on embedded backends, with a base model
 * and adapters it publishes itself through the registry (random weights, real formats). In one run:
 * 64 streams over 1, 8 and 64 distinct adapters (LoRA, then a quarter MixLoRA), the same with one
 * adapter per batch, the bare engine's fused decode step at the same batch, time to first token and
 * per output token, cold against warm loads, and many adapters in rotation through the device pool.
 * Figures are printed as Markdown tables.
 */
public final class ServingBench {

  private static final double MIB = 1024.0 * 1024.0;
  private static final int ROTATION_RANK = 8;
  // short prompts: the rotation measures loads and hits, not prefill
  private static final int ROTATION_PROMPT = 8;
  private static final EnumSet<Projection> ROTATION_TARGETS =
      EnumSet.of(Projection.Q, Projection.V);

  private final ServingBenchOptions options;
  private final PrintStream out;
  private final BenchAdapters adapters;
  private final ResidentMemory memory = new ResidentMemory();

  private ServingBench(ServingBenchOptions options, PrintStream out) {
    this.options = options;
    this.out = out;
    this.adapters = new BenchAdapters(options.shape());
  }

  public static void main(String[] args) {
    ServingBenchOptions options;
    try {
      options = ServingBenchOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("bench: " + e.getMessage() + "\n" + ServingBenchOptions.USAGE);
      System.exit(2);
      return;
    }
    var status = 0;
    try {
      run(options, System.out);
    } catch (Exception e) {
      System.err.println("bench: " + e);
      e.printStackTrace(System.err);
      status = 1;
    }
    System.exit(status); // Kafka's and the clients' non-daemon threads would keep the JVM alive
  }

  /** The whole bench on a platform of its own, in a temporary directory deleted afterwards. */
  static void run(ServingBenchOptions options, PrintStream out) throws Exception {
    var work = Files.createTempDirectory("serving-bench-");
    try {
      new ServingBench(options, out).runIn(work);
    } finally {
      deleteTree(work);
    }
  }

  /** One phase of 64 (streams) concurrent streams. */
  record Phase(
      int distinct,
      int mixLora,
      boolean fused,
      int tokensPerStream,
      double tokensPerS,
      double decodeTokensPerS,
      double fullBatchTokensPerS,
      double[] ttftMs,
      double[] tpotMs) {}

  private void runIn(Path work) throws Exception {
    var shape = options.shape();
    say(
        "serving bench %s  cores=%d  java=%s  load average %s",
        Instant.now(),
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        loadAverage());
    say(
        "model: hidden %d, intermediate %d, %d layers, %d heads / %d KV heads, vocabulary %d;"
            + " adapters rank %d on all 7 projections, MixLoRA %d experts top-%d (+ q,v);"
            + " %d streams, prompt %d tokens, %d tokens per stream (%d without fusion)",
        shape.hidden(),
        shape.intermediate(),
        shape.layers(),
        shape.heads(),
        shape.kvHeads(),
        shape.vocab(),
        options.rank(),
        BenchAdapters.EXPERTS,
        BenchAdapters.TOP_K,
        options.streams(),
        options.prompt(),
        options.tokens(),
        options.unfusedTokens());

    var token = "bench-" + UUID.randomUUID();
    var started = System.nanoTime();
    nextMemoryPhase("platform start, publishing");
    try (var platform = LocalPlatform.start(work.resolve("data"), 0, token, platformProperties())) {
      var url = "http://127.0.0.1:" + platform.port();
      say("platform up in %.1f s at %s", seconds(started), url);
      var registry = new RegistryHttp(url, token);
      var client = new CompletionsHttp(url, token);

      var base = "bench-base";
      publishBaseModel(registry, work, base);
      publishAdapters(registry, work, base);

      nextMemoryPhase("serving start");
      var t0 = System.nanoTime();
      client.complete(base, prompt(0), 1);
      say("serving started (base model fetched, loaded, batcher warmed up) in %.1f s", seconds(t0));
      var served = platform.context().getBean(ServingEngine.class).current().orElseThrow();
      var batcher = served.batcher();

      List<Phase> phases = new ArrayList<>();
      for (var fused : List.of(true, false)) {
        batcher.limitAdaptersPerStep(fused ? Integer.MAX_VALUE : 1);
        for (var withMix : List.of(false, true)) {
          for (var d : options.distinct()) {
            var mixes = withMix ? ServingBenchOptions.mixLoraOf(d) : 0;
            if (withMix && mixes == 0) {
              continue; // a quarter of fewer than 4 is none: the LoRA row already says it
            }
            phases.add(phase(client, batcher, d, mixes, fused));
          }
        }
      }
      batcher.limitAdaptersPerStep(Integer.MAX_VALUE);
      nextMemoryPhase("batcher alone");
      var alone = batcherAlone(batcher);

      // the engine alone while the server idles, before the rotation fills the pools
      nextMemoryPhase("bare engine");
      var engine = engineFigures(served.model(), phases);
      nextMemoryPhase("cold loads");
      var cold = coldLoads(client, platform.context().getBean(ServingPool.class));
      nextMemoryPhase("rotation");
      var rotation = rotation(client, platform.context());
      nextMemoryPhase(null);

      report(phases, alone, engine, cold, rotation, batcher);
      say("load average at the end %s; total %.0f s", loadAverage(), seconds(started));
    }
  }

  private Map<String, Object> platformProperties() {
    var maxDistinct = options.maxDistinct();
    var rotationFp32 =
        4L
            * ROTATION_RANK
            * ROTATION_TARGETS.stream().mapToLong(this::inPlusOut).sum()
            * options.shape().layers();
    var mixFp32 = mixLoraFp32Bytes();
    // the host tier holds half of the rotation's adapters: some lookups then hit it, some go to
    // the disk tier
    var hostBytes = Math.max(4 * mixFp32, rotationFp32 * options.rotationAdapters() / 2);
    Map<String, Object> p = new HashMap<>();
    p.put("logging.level.root", "WARN");
    p.put("logging.level.io.adapterplatform", "WARN");
    // Kafka's consumers warn about the topic that appears with the first event; DJL about CUDA
    p.put("logging.level.org.apache.kafka", "ERROR");
    p.put("logging.level.ai.djl", "ERROR");
    p.put("spring.main.banner-mode", "off");
    p.put("platform.serving.pool.lora-places", options.rotationSlots());
    p.put("platform.serving.pool.mix-places", Math.max(1, maxDistinct / 4));
    p.put("platform.serving.pool.max-rank", Math.max(options.rank(), ROTATION_RANK));
    p.put("platform.serving.pool.max-experts", BenchAdapters.EXPERTS);
    p.put("platform.serving.pool.max-top-k", BenchAdapters.TOP_K);
    p.put("platform.serving.pool.host-bytes", hostBytes);
    p.put("platform.serving.engine.max-rows", options.streams());
    p.put("platform.serving.engine.queue-capacity", Math.max(256, 2 * options.streams()));
    p.put("platform.serving.engine.timeout", "30m");
    return p;
  }

  private long inPlusOut(Projection p) {
    return (long) adapters.dims().inFeatures(p) + adapters.dims().outFeatures(p);
  }

  // what one decode step reads: the frozen projections and lm_head (fp32 on the CPU); a step is
  // memory-bound on the adapters' part, so their bytes over these say what a fused step must cost
  private long baseFp32Bytes() {
    long perLayer = 0;
    for (var p : Projection.values()) {
      perLayer += (long) adapters.dims().inFeatures(p) * adapters.dims().outFeatures(p);
    }
    var shape = options.shape();
    return 4 * (perLayer * shape.layers() + (long) shape.vocab() * shape.hidden());
  }

  private long loraFp32Bytes() {
    long perLayer = 0;
    for (var p : Projection.values()) {
      perLayer += (long) options.rank() * inPlusOut(p);
    }
    return 4 * perLayer * options.shape().layers();
  }

  private double adapterBytesOverBase(int d, int m) {
    return ((double) (d - m) * loraFp32Bytes() + (double) m * mixLoraFp32Bytes()) / baseFp32Bytes();
  }

  private long mixLoraFp32Bytes() {
    return mixLoraFp32Bytes(BenchAdapters.EXPERTS);
  }

  // a MixLoRA's router and attention LoRA, and `experts` of its experts' FFN LoRA
  private long mixLoraFp32Bytes(double experts) {
    double perLayer = BenchAdapters.EXPERTS * (double) adapters.dims().hiddenSize();
    for (var p : List.of(Projection.GATE, Projection.UP, Projection.DOWN)) {
      perLayer += experts * options.rank() * inPlusOut(p);
    }
    for (var p : BenchAdapters.MIX_ATTENTION) {
      perLayer += (double) options.rank() * inPlusOut(p);
    }
    return Math.round(4 * perLayer * options.shape().layers());
  }

  // What a step reads of the adapters, over the base's bytes. A MixLoRA row reads only its top-k
  // experts (the engine gathers the routed pairs), so an adapter with n rows in the step touches
  // E (1 - (1 - k/E)^n) of its E experts on average under uniform routing: 2 of 8 with one row,
  // nearly all 8 with 16 rows.
  private double adapterBytesReadOverBase(int d, int m) {
    double rowsEach = (double) options.streams() / d;
    double experts = BenchAdapters.EXPERTS;
    double touched =
        experts * (1 - Math.pow(1 - BenchAdapters.TOP_K / experts, Math.max(1, rowsEach)));
    return ((double) (d - m) * loraFp32Bytes() + (double) m * mixLoraFp32Bytes(touched))
        / baseFp32Bytes();
  }

  // ---- publishing

  private void publishBaseModel(RegistryHttp registry, Path work, String name) throws Exception {
    var dir = Files.createDirectories(work.resolve("base"));
    options.shape().writeBaseModel(dir.resolve("model.safetensors"));
    var config = RegistryHttp.textFile(dir, "config.json", options.shape().config());
    var t0 = System.nanoTime();
    RegistryHttp.expect(
        registry.multipart(
            "/api/v1/base-models",
            Map.of("name", name),
            List.of(
                new RegistryHttp.FilePart("config.json", config),
                new RegistryHttp.FilePart("model.safetensors", dir.resolve("model.safetensors")))),
        201,
        "base model upload");
    say(
        "base model %s: %.1f MiB (F16) published in %.1f s",
        name, Files.size(dir.resolve("model.safetensors")) / MIB, seconds(t0));
  }

  private String loraName(int i) {
    return "sb-lora-" + i;
  }

  private String mixName(int i) {
    return "sb-mix-" + i;
  }

  private String coldName(int i) {
    return "sb-cold-" + i;
  }

  private String rotationName(int i) {
    return "sb-rot-" + i;
  }

  private AdapterWeights loraWeights(int i) {
    return adapters.lora(options.rank(), EnumSet.allOf(Projection.class), 1000 + i);
  }

  private AdapterWeights mixWeights(int i) {
    return adapters.mixLora(options.rank(), 5000 + i);
  }

  private void publishAdapters(RegistryHttp registry, Path work, String base) throws Exception {
    Map<String, Callable<AdapterWeights>> all = new LinkedHashMap<>();
    var maxDistinct = options.maxDistinct();
    for (var i = 0; i < maxDistinct; i++) {
      var n = i;
      all.put(loraName(i), () -> loraWeights(n));
    }
    for (var i = 0; i < maxDistinct / 4; i++) {
      var n = i;
      all.put(mixName(i), () -> mixWeights(n));
    }
    for (var i = 0; i < options.coldAdapters(); i++) {
      var n = i;
      all.put(
          coldName(i),
          () -> adapters.lora(options.rank(), EnumSet.allOf(Projection.class), 9000 + n));
    }
    for (var i = 0; i < options.rotationAdapters(); i++) {
      var n = i;
      all.put(rotationName(i), () -> adapters.lora(ROTATION_RANK, ROTATION_TARGETS, 20000 + n));
    }
    var t0 = System.nanoTime();
    long[] bytes = new long[1];
    // a few at a time: the registry hashes, validates and stores each version
    try (var pool = Executors.newFixedThreadPool(4)) {
      List<Future<Long>> done = new ArrayList<>();
      for (var entry : all.entrySet()) {
        done.add(
            pool.submit(
                () -> {
                  var dir = work.resolve("adapters").resolve(entry.getKey());
                  Files.createDirectories(dir);
                  BenchAdapters.write(dir, entry.getValue().call());
                  RegistryHttp.expect(
                      registry.postJson(
                          "/api/v1/adapters",
                          "{\"name\":\"" + entry.getKey() + "\",\"baseModel\":\"" + base + "\"}"),
                      201,
                      "adapter creation");
                  List<RegistryHttp.FilePart> files = new ArrayList<>();
                  long size = 0;
                  try (var list = Files.list(dir)) {
                    for (var f : list.sorted().toList()) {
                      files.add(new RegistryHttp.FilePart(f.getFileName().toString(), f));
                      size += Files.size(f);
                    }
                  }
                  RegistryHttp.expect(
                      registry.multipart(
                          "/api/v1/adapters/" + entry.getKey() + "/versions", Map.of(), files),
                      201,
                      "version upload of " + entry.getKey());
                  deleteTree(dir);
                  return size;
                }));
      }
      for (var f : done) {
        bytes[0] += get(f);
      }
    }
    say(
        "%d adapters published (%d LoRA, %d MixLoRA, %d cold, %d rotation; %.1f MiB in all, F16) in"
            + " %.1f s",
        all.size(),
        maxDistinct,
        maxDistinct / 4,
        options.coldAdapters(),
        options.rotationAdapters(),
        bytes[0] / MIB,
        seconds(t0));
  }

  // ---- throughput phases

  private int[] prompt(int stream) {
    var random = new SplittableRandom(stream);
    var p = new int[options.prompt()];
    for (var i = 0; i < p.length; i++) {
      p[i] = random.nextInt(options.shape().vocab());
    }
    return p;
  }

  // what stream s asks for in a phase over d adapters, m of them MixLoRA: LoRA first, then MixLoRA
  private String modelOf(int stream, int d, int m) {
    var i = stream % d;
    return i < d - m ? loraName(i) : mixName(i - (d - m));
  }

  private Phase phase(
      CompletionsHttp client, ContinuousBatcher batcher, int d, int m, boolean fused)
      throws Exception {
    nextMemoryPhase(
        "%s, %d adapters (%d MixLoRA)".formatted(fused ? "fused" : "one adapter per batch", d, m));
    // every adapter of the phase loaded first: cold loads are measured on their own
    var names = new ArrayList<String>();
    for (var s = 0; s < d; s++) {
      names.add(modelOf(s, d, m));
    }
    parallel(names.size(), i -> client.complete(names.get(i), prompt(i), 1));

    var tokens = fused ? options.tokens() : options.unfusedTokens();
    var before = batcher.stats();
    var t0 = System.nanoTime();
    var results =
        parallel(options.streams(), s -> client.stream(modelOf(s, d, m), prompt(s), tokens));
    var wall = System.nanoTime() - t0;
    var after = batcher.stats();
    var phase = summarise(d, m, fused, tokens, results);
    say(
        "%s %2d adapters (%2d MixLoRA): %7.1f tokens/s, decode %7.1f tokens/s (full batch %7.1f),"
            + " TTFT p50 %.0f ms, TPOT p50 %.0f ms (%.1f s)",
        fused ? "fused    " : "one/batch",
        d,
        m,
        phase.tokensPerS(),
        phase.decodeTokensPerS(),
        phase.fullBatchTokensPerS(),
        phase.ttftMs()[0],
        phase.tpotMs()[0],
        seconds(t0));
    say("  batcher: %s", batcherShare(before, after, wall));
    return phase;
  }

  /**
   * The batcher driven in this process, no HTTP: every stream's request submitted straight to it
   * with a sink that only notes the time of each token, base-model rows (no adapter, whose bytes
   * are 2 % of the base's at rank 16). Against the HTTP phases it says what serving the streams
   * costs; against the bare engine, what the batcher's own loop and step cost.
   */
  private Phase batcherAlone(ContinuousBatcher batcher) throws Exception {
    var tokens = options.tokens();
    var streams = options.streams();
    var times = new long[streams][tokens];
    var counts = new int[streams];
    var sent = new long[streams];
    List<CompletableFuture<Finish>> done = new ArrayList<>();
    var before = batcher.stats();
    var t0 = System.nanoTime();
    for (var s = 0; s < streams; s++) {
      var stream = s;
      sent[s] = System.nanoTime();
      var handle =
          batcher.submit(
              GenerationRequest.greedy(prompt(s), GenerationRequest.BASE_MODEL, tokens),
              new GenerationSink() {
                // the step thread alone calls these, one request's calls in order
                @Override
                public void onToken(TokenEvent token) {
                  if (!token.prompt()) {
                    times[stream][counts[stream]++] = System.nanoTime();
                  }
                }

                @Override
                public void onFinish(Finish finish) {}

                @Override
                public void onError(Throwable error) {}
              });
      done.add(handle.completion());
    }
    for (var f : done) {
      f.get();
    }
    var wall = System.nanoTime() - t0;
    var after = batcher.stats();
    List<CompletionsHttp.Streamed> results = new ArrayList<>();
    for (var s = 0; s < streams; s++) {
      results.add(new CompletionsHttp.Streamed(sent[s], Arrays.copyOf(times[s], counts[s])));
    }
    var phase = summarise(1, 0, true, tokens, results);
    say(
        "batcher alone (in process, no HTTP, base-model rows): decode %7.1f tokens/s (full batch"
            + " %7.1f), TPOT p50 %.0f ms; %s",
        phase.decodeTokensPerS(),
        phase.fullBatchTokensPerS(),
        phase.tpotMs()[0],
        batcherShare(before, after, wall));
    return phase;
  }

  // The server's own side of a phase: how much of the batcher's time went into forward passes; the
  // rest is sampling, handing tokens to the streams, scheduling and waiting for requests.
  private static String batcherShare(BatcherStats before, BatcherStats after, long wallNanos) {
    var steps = after.steps() - before.steps();
    var per = Math.max(1, steps);
    return "%d steps, forward pass %.1f ms mean, %.1f ms of the phase's wall time per step"
        .formatted(
            steps,
            (after.forwardNanos() - before.forwardNanos()) / 1e6 / per,
            wallNanos / 1e6 / per);
  }

  private static Phase summarise(
      int d, int m, boolean fused, int tokens, List<CompletionsHttp.Streamed> results) {
    long firstSent = Long.MAX_VALUE;
    long allDecoding = 0;
    long firstDone = Long.MAX_VALUE;
    long end = 0;
    long total = 0;
    var ttft = new double[results.size()];
    var tpot = new double[results.size()];
    for (var i = 0; i < results.size(); i++) {
      var r = results.get(i);
      firstSent = Math.min(firstSent, r.sent());
      allDecoding = Math.max(allDecoding, r.tokenTimes()[0]);
      end = Math.max(end, r.tokenTimes()[r.tokens() - 1]);
      firstDone = Math.min(firstDone, r.tokenTimes()[r.tokens() - 1]);
      total += r.tokens();
      ttft[i] = r.timeToFirstTokenMs();
      tpot[i] = r.timePerOutputTokenMs();
    }
    // decode: only the tokens that came once every stream had its first one (prefill over)
    long counted = 0;
    // full batch: only those that came while every stream was decoding, up to the first stream's
    // last token. Prefill goes in chunks, so the first streams finish first and the batch shrinks
    // after that; the bare engine's figure is a full batch throughout.
    long countedFull = 0;
    for (var r : results) {
      for (var t : r.tokenTimes()) {
        if (t > allDecoding) {
          counted++;
          if (t <= firstDone) {
            countedFull++;
          }
        }
      }
    }
    var decode = end > allDecoding ? counted / ((end - allDecoding) / 1e9) : Double.NaN;
    var fullBatch =
        firstDone > allDecoding ? countedFull / ((firstDone - allDecoding) / 1e9) : Double.NaN;
    return new Phase(
        d,
        m,
        fused,
        tokens,
        total / ((end - firstSent) / 1e9),
        decode,
        fullBatch,
        percentiles(ttft),
        percentiles(tpot));
  }

  // ---- cold loads

  /** Cold and warm latency of a 1-token request, and the pool's own load time. */
  record Cold(double[] coldMs, double[] warmMs, double[] loadMs) {}

  private Cold coldLoads(CompletionsHttp client, ServingPool pool) throws Exception {
    var n = options.coldAdapters();
    var cold = new double[n];
    var warm = new double[n];
    var load = new double[n];
    for (var i = 0; i < n; i++) {
      var t0 = System.nanoTime();
      client.complete(coldName(i), prompt(i), 1);
      cold[i] = (System.nanoTime() - t0) / 1e6;
      var t1 = System.nanoTime();
      client.complete(coldName(i), prompt(i), 1);
      warm[i] = (System.nanoTime() - t1) / 1e6;
      var name = coldName(i);
      load[i] =
          pool.loaded().stream()
                  .filter(a -> a.key().adapter().equals(name))
                  .findFirst()
                  .flatMap(a -> a.loadTime())
                  .map(Duration::toNanos)
                  .orElse(0L)
              / 1e6;
    }
    var result = new Cold(percentiles(cold), percentiles(warm), percentiles(load));
    say(
        "cold load: 1-token request %.0f ms (p50) against %.0f ms warm; the pool's load %.0f ms",
        result.coldMs()[0], result.warmMs()[0], result.loadMs()[0]);
    return result;
  }

  // ---- rotation

  /** One pass of the rotation phase. */
  record RotationPass(
      String name,
      int requests,
      long distinct,
      double seconds,
      double requestsPerS,
      double tokensPerS,
      double[] latencyMs,
      double deviceHitRate,
      double hostHitRate,
      double diskHitRate,
      long registryFetches) {}

  private List<RotationPass> rotation(
      CompletionsHttp client, org.springframework.context.ApplicationContext context)
      throws Exception {
    var n = options.rotationAdapters();
    var firstPass = new int[n];
    for (var i = 0; i < n; i++) {
      firstPass[i] = i;
    }
    // Zipf (s = 1) popularity over the adapters, as traffic over many specialists often is
    var cdf = new double[n];
    var sum = 0.0;
    for (var i = 0; i < n; i++) {
      sum += 1.0 / (i + 1);
      cdf[i] = sum;
    }
    var random = new SplittableRandom(7);
    var skewed = new int[options.rotationRequests()];
    for (var r = 0; r < skewed.length; r++) {
      var u = random.nextDouble() * sum;
      var k = Arrays.binarySearch(cdf, u);
      skewed[r] = Math.min(n - 1, k >= 0 ? k : -k - 1);
    }
    List<RotationPass> passes = new ArrayList<>();
    passes.add(rotationPass(client, context, "every adapter once", firstPass));
    passes.add(rotationPass(client, context, "Zipf s=1", skewed));
    return passes;
  }

  private RotationPass rotationPass(
      CompletionsHttp client,
      org.springframework.context.ApplicationContext context,
      String name,
      int[] order)
      throws Exception {
    var before = TierCounts.read(context);
    var latency = new double[order.length];
    var t0 = System.nanoTime();
    var generated =
        parallel(
            order.length,
            r -> {
              var s = System.nanoTime();
              var tokens =
                  client.complete(
                      rotationName(order[r]),
                      Arrays.copyOf(prompt(r), Math.min(ROTATION_PROMPT, options.prompt())),
                      options.rotationTokens());
              latency[r] = (System.nanoTime() - s) / 1e6;
              return tokens;
            });
    var wall = seconds(t0);
    var delta = TierCounts.read(context).minus(before);
    var pass =
        new RotationPass(
            name,
            order.length,
            Arrays.stream(order).distinct().count(),
            wall,
            order.length / wall,
            generated.stream().mapToInt(Integer::intValue).sum() / wall,
            percentiles(latency),
            delta.rate("device"),
            delta.rate("host"),
            delta.rate("disk"),
            delta.misses("disk"));
    say(
        "rotation, %s: %d requests over %d adapters, %.1f req/s, device hits %s, host %s, disk %s",
        name,
        pass.requests(),
        pass.distinct(),
        pass.requestsPerS(),
        percent(pass.deviceHitRate()),
        percent(pass.hostHitRate()),
        percent(pass.diskHitRate()));
    return pass;
  }

  /** The pool's hit and miss counters per tier ({@code serving.pool.hits|misses}, tag tier). */
  record TierCounts(Map<String, double[]> byTier) {

    static TierCounts read(org.springframework.context.ApplicationContext context) {
      Map<String, double[]> counts = new HashMap<>();
      for (var tier : List.of("device", "host", "disk")) {
        var hm = new double[2];
        for (var registry : context.getBeansOfType(MeterRegistry.class).values()) {
          hm[0] =
              Math.max(
                  hm[0],
                  registry.find("serving.pool.hits").tag("tier", tier).counters().stream()
                      .mapToDouble(c -> c.count())
                      .sum());
          hm[1] =
              Math.max(
                  hm[1],
                  registry.find("serving.pool.misses").tag("tier", tier).counters().stream()
                      .mapToDouble(c -> c.count())
                      .sum());
        }
        counts.put(tier, hm);
      }
      return new TierCounts(counts);
    }

    TierCounts minus(TierCounts earlier) {
      Map<String, double[]> d = new HashMap<>();
      byTier.forEach(
          (tier, hm) -> {
            var e = earlier.byTier.get(tier);
            d.put(tier, new double[] {hm[0] - e[0], hm[1] - e[1]});
          });
      return new TierCounts(d);
    }

    double rate(String tier) {
      var hm = byTier.get(tier);
      return hm[0] + hm[1] == 0 ? Double.NaN : hm[0] / (hm[0] + hm[1]);
    }

    long misses(String tier) {
      return Math.round(byTier.get(tier)[1]);
    }
  }

  // ---- the bare engine

  /** Decode tokens/s of the engine's fused step alone, per fused phase's adapter mix. */
  private Map<String, Double> engineFigures(BaseModel model, List<Phase> phases) throws Exception {
    Map<String, Double> figures = new LinkedHashMap<>();
    var t0 = System.nanoTime();
    // The server's own weights, not a second copy: the same tensors the batcher's step reads, and
    // none of the memory a second load of the model would take (the idle batcher runs no step
    // meanwhile). One long-lived thread for every engine run, as the batcher has its step thread:
    // libgomp keeps one team per calling thread, and glibc gives each new thread an arena whose
    // freed blocks (kept for reuse, bin/platform's malloc settings) other threads never reuse.
    try (var engineThread =
        Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().name("engine-decode").unstarted(r))) {
      var first = true;
      for (var phase : phases) {
        if (!phase.fused()) {
          continue;
        }
        var d = phase.distinct();
        var m = phase.mixLora();
        if (first) {
          // untimed: compiles this batch size's host code, as the server's warm-up did
          onThread(engineThread, () -> engineDecode(model, d, m));
          first = false;
        }
        var tokensPerS = onThread(engineThread, () -> engineDecode(model, d, m));
        figures.put(key(d, m), tokensPerS);
        say("engine fused step, %2d adapters (%2d MixLoRA): %7.1f tokens/s", d, m, tokensPerS);
      }
    }
    say("engine figures in %.1f s", seconds(t0));
    return figures;
  }

  private static String key(int d, int m) {
    return d + "/" + m;
  }

  // every stream in one KV store, prefill, then one forwardLast per token with logits to the host
  // and a greedy choice per row: the server's work without HTTP, queues and sinks
  private double engineDecode(BaseModel model, int d, int m) {
    var b = options.streams();
    var layout =
        new PoolLayout(
            d - m, options.rank(), m, BenchAdapters.EXPERTS, BenchAdapters.TOP_K, PoolStorage.FP32);
    var vocab = options.shape().vocab();
    try (var pool = layout.reserve(model);
        var store = new KvStore(model, b, options.prompt() + options.tokens())) {
      for (var i = 0; i < d - m; i++) {
        pool.put(i, loraWeights(i));
      }
      for (var i = 0; i < m; i++) {
        pool.put(d - m + i, mixWeights(i));
      }
      List<KvCache> caches = new ArrayList<>();
      var rowAdapter = new int[b];
      List<Segment> decode = new ArrayList<>();
      List<Segment> prefill = new ArrayList<>();
      var promptRows = new int[b * options.prompt()];
      var promptAdapter = new int[b * options.prompt()];
      for (var s = 0; s < b; s++) {
        var c = store.allocate();
        caches.add(c);
        rowAdapter[s] = s % d;
        decode.add(new Segment(1, c));
        prefill.add(new Segment(options.prompt(), c));
        System.arraycopy(prompt(s), 0, promptRows, s * options.prompt(), options.prompt());
        Arrays.fill(promptAdapter, s * options.prompt(), (s + 1) * options.prompt(), rowAdapter[s]);
      }
      // Prefill in chunks of the server's prefill tokens per step, not all prompts in one step: a
      // step's arrays live until its manager closes, so one step of 2048 prompt rows held every
      // layer's activations at once (the process went from 7.1 to over 10 GiB). Not timed.
      var p = options.prompt();
      var chunk = Math.max(1, BatcherSettings.defaults().prefillChunkTokens() / p);
      var last = new int[b];
      for (var first = 0; first < b; first += chunk) {
        var n = Math.min(chunk, b - first);
        var into = new int[n];
        try (NDManager step = model.manager().newSubManager()) {
          argMaxRows(
              model
                  .forwardLast(
                      step,
                      Arrays.copyOfRange(promptRows, first * p, (first + n) * p),
                      prefill.subList(first, first + n),
                      pool.bind(
                          step,
                          Arrays.copyOfRange(promptAdapter, first * p, (first + n) * p),
                          GroupedLora.Strategy.AUTO))
                  .toFloatArray(),
              vocab,
              into);
        }
        System.arraycopy(into, 0, last, first, n);
      }
      var steps = options.tokens() - 1;
      var warm = Math.min(4, steps / 2);
      long start = 0;
      for (var t = 0; t < steps; t++) {
        if (t == warm) {
          start = System.nanoTime();
        }
        try (NDManager step = model.manager().newSubManager()) {
          argMaxRows(
              model
                  .forwardLast(
                      step, last, decode, pool.bind(step, rowAdapter, GroupedLora.Strategy.AUTO))
                  .toFloatArray(),
              vocab,
              last);
        }
      }
      var seconds = (System.nanoTime() - start) / 1e9;
      caches.forEach(KvCache::close);
      return (double) b * (steps - warm) / seconds;
    }
  }

  private static void argMaxRows(float[] logits, int vocab, int[] into) {
    for (var r = 0; r < into.length; r++) {
      var best = 0;
      for (var i = 1; i < vocab; i++) {
        if (logits[r * vocab + i] > logits[r * vocab + best]) {
          best = i;
        }
      }
      into[r] = best;
    }
  }

  private static double onThread(java.util.concurrent.ExecutorService thread, DoubleSupplier work)
      throws Exception {
    return get(thread.submit(work::getAsDouble));
  }

  // ---- the report

  private void report(
      List<Phase> phases,
      Phase alone,
      Map<String, Double> engine,
      Cold cold,
      List<RotationPass> rotation,
      ContinuousBatcher batcher) {
    var oneAdapter = find(phases, 1, 0, true, Phase::decodeTokensPerS);
    say("");
    say(
        "Throughput: %d concurrent streams through POST /v1/completions (streamed), prompt %d"
            + " tokens; decode = tokens that came once every stream had its first one; full batch ="
            + " those that came while every stream was decoding (n/a when the streams' decoding does"
            + " not overlap: raise --tokens); server ÷ engine compares the full batch",
        options.streams(), options.prompt());
    say("");
    say(
        "| adapters | MixLoRA | batching | tokens/stream | tokens/s | decode tokens/s"
            + " | ÷ 1 adapter fused | full-batch tokens/s | engine fused step tokens/s"
            + " | server ÷ engine"
            + " | TTFT p50 / p99 ms | TPOT p50 / p99 ms | adapter bytes ÷ base bytes per step"
            + " | adapter bytes read ÷ base bytes per step |");
    say("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (var p : phases) {
      var e = p.fused() ? engine.get(key(p.distinct(), p.mixLora())) : null;
      say(
          "| %d | %d | %s | %d | %.1f | %.1f | %s | %s | %s | %s | %.0f / %.0f | %.1f / %.1f | %.2f"
              + " | %.2f |",
          p.distinct(),
          p.mixLora(),
          p.fused() ? "fused" : "one adapter per batch",
          p.tokensPerStream(),
          p.tokensPerS(),
          p.decodeTokensPerS(),
          ratio(p.decodeTokensPerS() / oneAdapter),
          Double.isNaN(p.fullBatchTokensPerS()) ? "n/a" : "%.1f".formatted(p.fullBatchTokensPerS()),
          e == null ? "—" : "%.1f".formatted(e),
          e == null ? "—" : ratio(p.fullBatchTokensPerS() / e),
          p.ttftMs()[0],
          p.ttftMs()[1],
          p.tpotMs()[0],
          p.tpotMs()[1],
          // without fusion a step holds one adapter: the mean of them
          adapterBytesOverBase(p.distinct(), p.mixLora()) / (p.fused() ? 1 : p.distinct()),
          adapterBytesReadOverBase(p.distinct(), p.mixLora()) / (p.fused() ? 1 : p.distinct()));
    }
    say("");
    var maxD = options.maxDistinct();
    var fusedMax = find(phases, maxD, 0, true, Phase::decodeTokensPerS);
    var unfusedMax = find(phases, maxD, 0, false, Phase::decodeTokensPerS);
    var mixMax =
        find(phases, maxD, ServingBenchOptions.mixLoraOf(maxD), true, Phase::decodeTokensPerS);
    say(
        "- %d adapters ÷ 1 adapter (decode, fused): %s (target >= 0.85)",
        maxD, ratio(fusedMax / oneAdapter));
    say(
        "- %d adapters, a quarter MixLoRA ÷ 1 adapter (decode, fused): %s (target >= 0.85)",
        maxD, ratio(mixMax / oneAdapter));
    say(
        "- fused ÷ one adapter per batch, %d adapters (decode): %s",
        maxD, ratio(fusedMax / unfusedMax));
    var engineMax = engine.getOrDefault(key(maxD, 0), Double.NaN);
    var fullBatchMax = find(phases, maxD, 0, true, Phase::fullBatchTokensPerS);
    say(
        "- server ÷ bare engine fused step, %d adapters, batch %d (full-batch decode): %s (target"
            + " >= 0.8)",
        maxD, options.streams(), ratio(fullBatchMax / engineMax));
    var engineOne = engine.getOrDefault(key(1, 0), Double.NaN);
    say(
        "- batcher alone (in process, no HTTP, base-model rows) ÷ bare engine fused step, 1"
            + " adapter, batch %d (full-batch decode): %s; the 1-adapter server phase ÷ the batcher"
            + " alone: %s",
        options.streams(),
        ratio(alone.fullBatchTokensPerS() / engineOne),
        ratio(find(phases, 1, 0, true, Phase::fullBatchTokensPerS) / alone.fullBatchTokensPerS()));
    say("");
    say(
        "Cold load (%d adapters, rank %d on all 7 projections, one after the other; a 1-token"
            + " request each, then the same again):",
        options.coldAdapters(), options.rank());
    say("");
    say("| | p50 ms | max ms |");
    say("|---|---|---|");
    say(
        "| cold request (fetch from the registry, verify, parse, load onto the device) | %.0f | %.0f |",
        cold.coldMs()[0], cold.coldMs()[2]);
    say("| the pool's load alone | %.0f | %.0f |", cold.loadMs()[0], cold.loadMs()[2]);
    say("| warm request | %.0f | %.0f |", cold.warmMs()[0], cold.warmMs()[2]);
    say("| cold ÷ warm | %s | |", ratio(cold.coldMs()[0] / cold.warmMs()[0]));
    say("");
    say(
        "Rotation: %d adapters (rank %d on q_proj, v_proj) through %d device LoRA places, %d"
            + " concurrent requests, prompt %d tokens, %d generated; host tier %.0f MiB (about half"
            + " of them):",
        options.rotationAdapters(),
        ROTATION_RANK,
        options.rotationSlots(),
        options.streams(),
        Math.min(ROTATION_PROMPT, options.prompt()),
        options.rotationTokens(),
        (double) (long) platformProperties().get("platform.serving.pool.host-bytes") / MIB);
    say("");
    say(
        "| pass | requests | adapters | req/s | tokens/s | latency p50 / p99 ms | device hits"
            + " | host hits (of device misses) | disk hits (of host misses) | registry fetches |");
    say("|---|---|---|---|---|---|---|---|---|---|");
    for (var r : rotation) {
      say(
          "| %s | %d | %d | %.1f | %.1f | %.0f / %.0f | %s | %s | %s | %d |",
          r.name(),
          r.requests(),
          r.distinct(),
          r.requestsPerS(),
          r.tokensPerS(),
          r.latencyMs()[0],
          r.latencyMs()[1],
          percent(r.deviceHitRate()),
          percent(r.hostHitRate()),
          percent(r.diskHitRate()),
          r.registryFetches());
    }
    say("");
    say(
        "Memory: this process's peak resident set per phase (VmHWM, reset at each phase's start),"
            + " every backend and the server included:");
    say("");
    say("| phase | peak RSS GiB | RSS at its end GiB | Java heap in use at its end GiB |");
    say("|---|---|---|---|");
    for (var m : memory.samples()) {
      say("| %s | %.2f | %.2f | %.2f |", m.phase(), m.peakGiB(), m.endGiB(), m.heapGiB());
    }
    say("");
    say("- peak RSS of the whole run: %.2f GiB", memory.peakGiB());
    say("");
    say("batcher steps run: %d", batcher.stats().steps());
  }

  // ends the running memory phase, prints its figures, and starts next (none when null)
  private void nextMemoryPhase(String next) {
    var ended = next == null ? memory.end() : memory.next(next);
    if (ended != null) {
      say(
          "  memory, %s: peak RSS %.2f GiB, at its end %.2f GiB (Java heap in use %.2f GiB)",
          ended.phase(), ended.peakGiB(), ended.endGiB(), ended.heapGiB());
    }
  }

  private static double find(
      List<Phase> phases, int d, int m, boolean fused, ToDoubleFunction<Phase> figure) {
    return phases.stream()
        .filter(p -> p.distinct() == d && p.mixLora() == m && p.fused() == fused)
        .findFirst()
        .map(figure::applyAsDouble)
        .orElse(Double.NaN);
  }

  // ---- helpers

  private interface Task<T> {
    T run(int index) throws Exception;
  }

  // runs count tasks, at most `streams` at once, on virtual threads; results in index order
  private <T> List<T> parallel(int count, Task<T> task) throws Exception {
    var permits = new Semaphore(options.streams());
    try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<T>> futures = new ArrayList<>();
      for (var i = 0; i < count; i++) {
        var index = i;
        futures.add(
            executor.submit(
                () -> {
                  permits.acquire();
                  try {
                    return task.run(index);
                  } finally {
                    permits.release();
                  }
                }));
      }
      List<T> results = new ArrayList<>();
      for (var f : futures) {
        results.add(get(f));
      }
      return results;
    }
  }

  private static <T> T get(Future<T> future) throws Exception {
    try {
      return future.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }

  /** p50, p99 and max of {@code values} (NaN ignored). */
  static double[] percentiles(double[] values) {
    var sorted = Arrays.stream(values).filter(v -> !Double.isNaN(v)).sorted().toArray();
    if (sorted.length == 0) {
      return new double[] {Double.NaN, Double.NaN, Double.NaN};
    }
    return new double[] {at(sorted, 0.50), at(sorted, 0.99), sorted[sorted.length - 1]};
  }

  private static double at(double[] sorted, double p) {
    var index = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  private static String ratio(double r) {
    return Double.isNaN(r) || Double.isInfinite(r) ? "n/a" : "%.2f".formatted(r);
  }

  private static String percent(double r) {
    return Double.isNaN(r) ? "n/a" : "%.1f %%".formatted(100 * r);
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  private static String loadAverage() {
    try {
      var parts = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return parts[0] + " " + parts[1] + " " + parts[2];
    } catch (IOException | RuntimeException e) {
      return "n/a";
    }
  }

  private void say(String format, Object... args) {
    out.println(args.length == 0 ? format : String.format(Locale.ROOT, format, args));
    out.flush();
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (var p : walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
