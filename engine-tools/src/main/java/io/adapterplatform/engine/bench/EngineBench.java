package io.adapterplatform.engine.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.adapter.Lora;
import io.adapterplatform.engine.adapter.LoraPair;
import io.adapterplatform.engine.adapter.MixLora;
import io.adapterplatform.engine.adapter.ModuleKey;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.fused.AdapterPool;
import io.adapterplatform.engine.fused.GroupedLora;
import io.adapterplatform.engine.fused.NaiveLoop;
import io.adapterplatform.engine.fused.PoolStorage;
import io.adapterplatform.engine.model.AdapterHook;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.Devices;
import io.adapterplatform.engine.model.KvCache;
import io.adapterplatform.engine.model.KvStore;
import io.adapterplatform.engine.model.LayerWeights;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.model.Segment;
import io.adapterplatform.engine.testing.TinyModels;
import io.adapterplatform.engine.train.AdamW;
import io.adapterplatform.engine.train.FusedTrainer;
import io.adapterplatform.engine.train.LoraSpec;
import io.adapterplatform.engine.train.LrSchedule;
import io.adapterplatform.engine.train.TrainingConfig;
import io.adapterplatform.engine.train.TrainingExample;
import io.adapterplatform.engine.train.TrainingJob;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * {@code bin/platform bench engine}: the engine's figures, measured side by side in one run on a
 * random model of a shape that fills the CPU, printed as one JSON object on stdout.
 *
 * <ol>
 *   <li>decode-step time with the batch's rows spread over D distinct LoRA adapters, fused (adapter
 *       pool) and as a naive per-adapter loop, each divided by the bare base step; adapters on all
 *       seven projections and on q_proj, v_proj only;
 *   <li>MixLoRA FFN (experts, top-k; W2 hoisted) divided by the dense FFN, beside the reference
 *       style that applies W2 once per selected expert;
 *   <li>training throughput of several jobs fused in one step divided by the same jobs one after
 *       another, with the peak RSS of each phase.
 * </ol>
 *
 * Beside each ratio it prints the floor implied by the machine's fp32 GEMM rate and memory
 * bandwidth, measured in the same run (see docs/benchmarks.md and the design's "What bounds the
 * fused forward").
 */
public final class EngineBench {

  private static final int BYTES = 4; // fp32

  private final BenchOptions o;
  private String command = "bin/platform bench engine";
  private final Map<String, Object> out = new LinkedHashMap<>();
  private double gflops;
  private double bandwidth;
  private Device device = Device.cpu();

  EngineBench(BenchOptions options) {
    this.o = options;
  }

  public static void main(String[] args) {
    if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
      System.out.println(BenchOptions.usage());
      return;
    }
    BenchOptions options;
    try {
      options = BenchOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("bench engine: " + e.getMessage());
      System.exit(2);
      return;
    }
    Gson gson =
        new GsonBuilder().serializeSpecialFloatingPointValues().disableHtmlEscaping().create();
    EngineBench bench = new EngineBench(options);
    try {
      bench.device = Devices.parse(options.device());
    } catch (IllegalArgumentException e) {
      System.err.println("bench engine: " + e.getMessage());
      System.exit(2);
      return;
    }
    bench.command = ("bin/platform bench engine " + String.join(" ", args)).trim();
    System.out.println(gson.toJson(bench.run()));
  }

  Map<String, Object> run() {
    ModelDims dims =
        new ModelDims(
            o.hidden(),
            o.intermediate(),
            o.layers(),
            o.heads(),
            o.kvHeads(),
            o.hidden() / o.heads(),
            1e-5,
            10000.0,
            false,
            o.vocab());
    out.put("command", command);
    Map<String, Object> machine = new LinkedHashMap<>();
    machine.put("cpu", Machine.cpuModel());
    machine.put("cores", Runtime.getRuntime().availableProcessors());
    machine.put(
        "engine", Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion());
    machine.put("load_average_1m_at_start", Machine.loadAverage());
    machine.put("device", device.toString());
    if (onGpu()) {
      machine.put("gpu", Machine.gpu(device));
      machine.put(
          "lora_kernel",
          "not used on a GPU: the fused strategies are DJL operations (gather or distinct)");
    } else {
      machine.put(
          "lora_kernel",
          io.adapterplatform.engine.fused.HostKernels.available()
              ? "host kernel (Vector API)"
              : "none: DJL operations only (start the JVM with --add-modules jdk.incubator.vector)");
    }
    // compile the kernel before anything is timed, as a server does at startup
    machine.put("kernel_warmup_ms", round(io.adapterplatform.engine.fused.HostKernels.warmUp()));
    // glibc's handling of freed tensor memory changes every figure (page faults on fresh
    // activations)
    Map<String, Object> malloc = new LinkedHashMap<>();
    for (String variable : List.of("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")) {
      malloc.put(
          variable, System.getenv(variable) == null ? "glibc default" : System.getenv(variable));
    }
    machine.put("malloc", malloc);
    out.put("machine", machine);
    out.put(
        "shape",
        Map.of(
            "hidden",
            o.hidden(),
            "intermediate",
            o.intermediate(),
            "layers",
            o.layers(),
            "heads",
            o.heads(),
            "kv_heads",
            o.kvHeads(),
            "vocab",
            o.vocab(),
            "batch",
            o.batch(),
            "rank",
            o.rank(),
            "context",
            o.context(),
            "dtype",
            "fp32"));
    out.put("timing", "median of " + o.reps() + " after " + o.warmup() + " warm-up iterations");

    Map<String, float[]> weights = TinyModels.randomWeights(dims, 1);
    try (BaseModel model =
        BaseModel.fromWeights(dims, (name, shape) -> weights.get(name), device)) {
      weights.clear();
      // a GPU needs larger products than a CPU to reach its rate
      int n = o.quick() ? 256 : onGpu() ? 4096 : 1024;
      gflops = Machine.matmulGflops(model.manager(), n, o.warmup() + 1, o.reps());
      bandwidth =
          Machine.readBandwidthGBs(model.manager(), o.quick() ? 64 : 256, o.warmup() + 1, o.reps());
      machine.put("fp32_matmul_gflops", round(gflops));
      machine.put("fp32_matmul_size", n);
      if (onGpu()) {
        machine.put(
            "fp32_matmul_note",
            "the GPU's GEMM rate, used for the floors below; TF32 stays at PyTorch's"
                + " default (off for fp32 products), which DJL leaves alone");
      }
      machine.put("read_bandwidth_gbs", round(bandwidth));
      machine.put("base_weight_mib", round(baseBytes(dims) / 1048576.0));
      if (o.parts().contains("decode")) {
        out.put("decode", decode(model));
      }
      if (o.parts().contains("mixlora")) {
        out.put("mixlora_ffn", mixlora(model));
      }
      if (o.parts().contains("train")) {
        out.put("training", training(model));
      }
    }
    machine.put("load_average_1m_at_end", Machine.loadAverage());
    return out;
  }

  private boolean onGpu() {
    return device.isGpu();
  }

  // ---------------------------------------------------------------- (1) decode step, D distinct
  // adapters

  private Map<String, Object> decode(BaseModel model) {
    ModelDims dims = model.dims();
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("target_ratio_at_max_d", 1.15);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int d : o.distinct()) {
      int batch = Math.max(o.batch(), d); // D distinct adapters need at least D rows
      // one store for the batch, as serving keeps it: decode attention is then one batched
      // operation
      // (caches in separate stores are attended one sequence at a time). Room for every timed token
      // of the (up to) 8 variants a round.
      int capacity = o.context() + 8 * (o.warmup() + Timing.MAX_EXTRA_WARMUP + o.reps()) + 8;
      KvStore store = new KvStore(model, batch, capacity);
      List<KvCache> caches = prefill(model, store, batch);
      try {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("distinct_adapters", d);
        row.put("batch", batch);
        int[] rowAdapter = new int[batch];
        for (int t = 0; t < batch; t++) {
          rowAdapter[t] = t % d;
        }
        Set<Projection> all = EnumSet.allOf(Projection.class);
        Set<Projection> qv = EnumSet.of(Projection.Q, Projection.V);
        List<AdapterWeights> allLoras = randomLoras(dims, d, all);
        try (AdapterPool allPool = AdapterPool.of(model, allLoras);
            AdapterPool qvPool = AdapterPool.of(model, randomLoras(dims, d, qv));
            // the same adapters with A and B kept in bf16 (the host kernel only): half the bytes to
            // stream
            AdapterPool bf16Pool =
                allPool.kernelUsable() ? AdapterPool.of(model, allLoras, PoolStorage.BF16) : null) {
          Map<String, Function<NDManager, AdapterHook>> variants = new LinkedHashMap<>();
          variants.put("base", step -> AdapterHook.NONE);
          variants.put(
              "fused_all7", step -> allPool.bind(step, rowAdapter, GroupedLora.Strategy.AUTO));
          variants.put("naive_all7", step -> NaiveLoop.bind(allPool, step, rowAdapter));
          // the best strategy made of DJL operations only, to show what the host kernel buys
          GroupedLora.Strategy djl = GroupedLora.Strategy.AUTO.resolve(d);
          variants.put("djl_all7", step -> allPool.bind(step, rowAdapter, djl));
          variants.put(
              "fused_qv", step -> qvPool.bind(step, rowAdapter, GroupedLora.Strategy.AUTO));
          variants.put("naive_qv", step -> NaiveLoop.bind(qvPool, step, rowAdapter));
          variants.put("djl_qv", step -> qvPool.bind(step, rowAdapter, djl));
          if (bf16Pool != null) {
            variants.put(
                "fused_all7_bf16",
                step -> bf16Pool.bind(step, rowAdapter, GroupedLora.Strategy.AUTO));
            row.put("fused_bf16_vs_naive_max_rel_diff", fusedVsNaive(model, bf16Pool, rowAdapter));
          }
          row.put(
              "fused_strategy",
              GroupedLora.Strategy.AUTO.resolve(d, allPool.kernelUsable()).name());
          row.put("djl_strategy", djl.name());
          row.put("fused_vs_naive_max_rel_diff", fusedVsNaive(model, allPool, rowAdapter));
          Map<String, double[]> samples = decodeRoundRobin(model, caches, variants);
          Map<String, Double> ms = new HashMap<>();
          samples.forEach((k, v) -> ms.put(k, Machine.median(v)));
          double base = ms.get("base");
          row.put("base_ms", round(base));
          for (String kind : List.of("all7", "qv")) {
            Set<Projection> targets = kind.equals("all7") ? all : qv;
            double adapterBytes = (double) d * adapterBytes(dims, targets, o.rank());
            Map<String, Object> v = fusedFigures("fused_" + kind, adapterBytes, ms, samples);
            v.put("naive_ms", round(ms.get("naive_" + kind)));
            v.put("naive_ratio", round(ms.get("naive_" + kind) / base));
            v.put("djl_ms", round(ms.get("djl_" + kind)));
            v.put("djl_ratio", round(ms.get("djl_" + kind) / base));
            row.put(kind, v);
          }
          if (bf16Pool != null) {
            // bf16 weights: half the bytes of the fp32 pool's
            row.put(
                "all7_bf16",
                fusedFigures(
                    "fused_all7_bf16", d * adapterBytes(dims, all, o.rank()) / 2.0, ms, samples));
          }
        }
        rows.add(row);
      } finally {
        caches.forEach(KvCache::close);
        store.close();
      }
    }
    result.put("by_distinct", rows);
    result.put(
        "floor",
        "1 + (D distinct adapters' A and B bytes / measured read bandwidth) / base step time");
    return result;
  }

  // a fused variant's time, its ratio to the base step and its floor from the adapter bytes it
  // streams
  private Map<String, Object> fusedFigures(
      String variant, double adapterBytes, Map<String, Double> ms, Map<String, double[]> samples) {
    double base = ms.get("base");
    double floor = 1 + adapterBytes / (bandwidth * 1e9) / (base / 1e3);
    double fused = ms.get(variant) / base;
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("fused_ms", round(ms.get(variant)));
    v.put("fused_ratio", round(fused));
    v.put(
        "fused_ratio_median_of_rounds",
        round(Timing.medianOfRoundRatios(samples.get(variant), samples.get("base"))));
    v.put("adapter_mib", round(adapterBytes / 1048576.0));
    v.put("floor_ratio", round(floor));
    v.put("fused_fraction_of_floor", round(floor / fused));
    v.put("target_1_15_below_floor", floor > 1.15);
    return v;
  }

  /**
   * Largest |fused - naive loop| over the last-position logits of short fresh prompts, relative to
   * the largest |logit|: the timed variants compute the same thing, on whatever device the run
   * uses.
   */
  private double fusedVsNaive(BaseModel model, AdapterPool pool, int[] rowAdapter) {
    var rng = new SplittableRandom(13);
    int length = 8;
    int[] tokens = new int[rowAdapter.length * length];
    int[] tokenAdapter = new int[tokens.length]; // a prompt's rows all use its sequence's adapter
    for (int t = 0; t < tokens.length; t++) {
      tokens[t] = rng.nextInt(o.vocab());
      tokenAdapter[t] = rowAdapter[t / length];
    }
    float[] fused =
        lastLogits(
            model,
            tokens,
            length,
            step -> pool.bind(step, tokenAdapter, GroupedLora.Strategy.AUTO));
    float[] naive =
        lastLogits(model, tokens, length, step -> NaiveLoop.bind(pool, step, tokenAdapter));
    return maxRelativeDifference(fused, naive);
  }

  private static float[] lastLogits(
      BaseModel model, int[] tokens, int length, Function<NDManager, AdapterHook> hook) {
    List<KvCache> caches = new ArrayList<>();
    List<Segment> segments = new ArrayList<>();
    try (NDManager step = model.manager().newSubManager()) {
      for (int s = 0; s < tokens.length / length; s++) {
        KvCache cache = new KvCache(model);
        caches.add(cache);
        segments.add(new Segment(length, cache));
      }
      return model.forwardLast(step, tokens, segments, hook.apply(step)).toFloatArray();
    } finally {
      caches.forEach(KvCache::close);
    }
  }

  private static double maxRelativeDifference(float[] a, float[] b) {
    double diff = 0;
    double scale = 0;
    for (int i = 0; i < a.length; i++) {
      diff = Math.max(diff, Math.abs((double) a[i] - b[i]));
      scale = Math.max(scale, Math.abs((double) b[i]));
    }
    return scale == 0 ? diff : diff / scale;
  }

  private List<KvCache> prefill(BaseModel model, KvStore store, int batch) {
    var rng = new SplittableRandom(7);
    List<KvCache> caches = new ArrayList<>();
    int[] tokens = new int[batch * o.context()];
    List<Segment> segments = new ArrayList<>();
    for (int s = 0; s < batch; s++) {
      KvCache cache = store.allocate();
      caches.add(cache);
      segments.add(new Segment(o.context(), cache));
      for (int t = 0; t < o.context(); t++) {
        tokens[s * o.context() + t] = rng.nextInt(o.vocab());
      }
    }
    try (NDManager step = model.manager().newSubManager()) {
      model.forwardLast(step, tokens, segments, AdapterHook.NONE);
    }
    return caches;
  }

  /**
   * Times one decode step of every variant, interleaved (variant after variant within each
   * repetition), so every variant sees the same cache lengths and the same background load.
   */
  private Map<String, double[]> decodeRoundRobin(
      BaseModel model,
      List<KvCache> caches,
      Map<String, Function<NDManager, AdapterHook>> variants) {
    int batch = caches.size();
    var rng = new SplittableRandom(11);
    Map<String, double[]> times = new LinkedHashMap<>();
    variants.keySet().forEach(k -> times.put(k, new double[o.reps()]));
    int[] rep = {-1}; // -1 while warming up
    Runnable round =
        () -> {
          for (var e : variants.entrySet()) {
            int[] tokens = new int[batch];
            List<Segment> segments = new ArrayList<>(batch);
            for (int s = 0; s < batch; s++) {
              tokens[s] = rng.nextInt(o.vocab());
              segments.add(new Segment(1, caches.get(s)));
            }
            try (NDManager step = model.manager().newSubManager()) {
              long t0 = System.nanoTime();
              NDArray logits = model.forwardLast(step, tokens, segments, e.getValue().apply(step));
              logits.getFloat(0, 0);
              double ms = (System.nanoTime() - t0) / 1e6;
              if (rep[0] >= 0) {
                times.get(e.getKey())[rep[0]] = ms;
              }
            }
          }
        };
    Timing.warmUntilCompiled(o.warmup(), round);
    for (rep[0] = 0; rep[0] < o.reps(); rep[0]++) {
      round.run();
    }
    return times;
  }

  // ---------------------------------------------------------------- (2) MixLoRA FFN vs dense FFN

  private Map<String, Object> mixlora(BaseModel model) {
    ModelDims dims = model.dims();
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("experts", o.experts());
    result.put("top_k", o.topK());
    result.put("target_ratio", 1.35);
    List<Map<String, Object>> rows = new ArrayList<>();
    try (AdapterPool pool = AdapterPool.of(model, List.of(randomMixLora(dims)))) {
      // The per-batch host code (binding, routing, kernel plans) is JIT-compiled before anything is
      // timed,
      // as a server's first requests would do: a few warm-up rounds leave it interpreted. At every
      // row count
      // timed: 16× longer loops take other paths (on-stack replacement, the sort's partitioning),
      // and warmed
      // at 32 rows only, C2 compiled routeOnHost and the plan's sort during the timed 512-row
      // rounds, on the
      // core the GEMMs needed (their time doubled in those rounds; the dense FFN has no such code).
      for (int n : new int[] {o.ffnRows(), o.ffnRows() * 16}) {
        try (NDManager m = model.manager().newSubManager()) {
          NDArray x = m.randomNormal(new Shape(n, dims.hiddenSize()));
          for (int i = 0; i < 40; i++) {
            time(m, s -> pool.bind(s, new int[n], GroupedLora.Strategy.AUTO), x, model.layer(0));
          }
        }
      }
      for (int n : new int[] {o.ffnRows(), o.ffnRows() * 16}) {
        int[] rowAdapter = new int[n];
        LayerWeights w = model.layer(0);
        try (NDManager m = model.manager().newSubManager()) {
          NDArray x = m.randomNormal(new Shape(n, dims.hiddenSize()));
          GroupedLora.Strategy djl = GroupedLora.Strategy.AUTO.resolve(o.experts() + 1);
          Map<String, Runnable> variants = new LinkedHashMap<>();
          variants.put("dense", () -> time(m, s -> AdapterHook.NONE, x, w));
          variants.put(
              "fused",
              () -> time(m, s -> pool.bind(s, rowAdapter, GroupedLora.Strategy.AUTO), x, w));
          variants.put("reference", () -> time(m, s -> NaiveLoop.bind(pool, s, rowAdapter), x, w));
          variants.put("djl", () -> time(m, s -> pool.bind(s, rowAdapter, djl), x, w));
          Map<String, double[]> samples = Timing.interleaved(o.warmup(), o.reps(), variants);
          double dense = Machine.median(samples.get("dense"));
          double fused = Machine.median(samples.get("fused"));
          double reference = Machine.median(samples.get("reference"));
          double djlFused = Machine.median(samples.get("djl"));
          double expertBytes =
              (double) o.experts()
                  * 3
                  * o.rank()
                  * (dims.hiddenSize() + dims.intermediateSize())
                  * BYTES;
          double extraFlops =
              2.0 * n * o.topK() * 3 * o.rank() * (dims.hiddenSize() + dims.intermediateSize())
                  + 2.0 * n * o.experts() * dims.hiddenSize();
          double extraMs =
              Math.max(expertBytes / (bandwidth * 1e9), extraFlops / (gflops * 1e9)) * 1e3;
          double floor = (dense + extraMs) / dense;
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("rows", n);
          row.put("dense_ms", round(dense));
          row.put("fused_ms", round(fused));
          row.put("reference_style_ms", round(reference));
          row.put(
              "fused_strategy",
              GroupedLora.Strategy.AUTO.resolve(o.experts() + 1, pool.kernelUsable()).name());
          row.put("djl_ms", round(djlFused));
          row.put("djl_ratio", round(djlFused / dense));
          row.put("fused_ratio", round(fused / dense));
          row.put(
              "fused_ratio_median_of_rounds",
              round(Timing.medianOfRoundRatios(samples.get("fused"), samples.get("dense"))));
          row.put("reference_style_ratio", round(reference / dense));
          // per round, in the order timed: a slow spell of one variant shows up here, not in a
          // median
          row.put(
              "dense_ms_per_round",
              java.util.Arrays.stream(samples.get("dense")).map(EngineBench::round).toArray());
          row.put(
              "fused_ms_per_round",
              java.util.Arrays.stream(samples.get("fused")).map(EngineBench::round).toArray());
          row.put(
              "fused_vs_reference_max_rel_diff",
              maxRelativeDifference(
                  ffnOutput(m, s -> pool.bind(s, rowAdapter, GroupedLora.Strategy.AUTO), x, w),
                  ffnOutput(m, s -> NaiveLoop.bind(pool, s, rowAdapter), x, w)));
          row.put("floor_ratio", round(floor));
          row.put("fused_fraction_of_floor", round(floor / (fused / dense)));
          row.put("target_1_35_below_floor", floor > 1.35);
          rows.add(row);
        }
      }
    }
    result.put("by_rows", rows);
    result.put(
        "floor",
        "(dense + max(all experts' bytes / bandwidth, top-k LoRA + router flops / GEMM rate)) / dense");
    return result;
  }

  private static void time(
      NDManager m, Function<NDManager, AdapterHook> hook, NDArray x, LayerWeights w) {
    try (NDManager step = m.newSubManager()) {
      NDArray y = hook.apply(step).ffn(0, x, w);
      y.getFloat(0, 0);
    }
  }

  private static float[] ffnOutput(
      NDManager m, Function<NDManager, AdapterHook> hook, NDArray x, LayerWeights w) {
    try (NDManager step = m.newSubManager()) {
      return hook.apply(step).ffn(0, x, w).toFloatArray();
    }
  }

  // ---------------------------------------------------------------- (3) fused training vs one
  // after another

  private Map<String, Object> training(BaseModel model) {
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("jobs", o.jobs());
    result.put("adapter", "LoRA rank " + o.rank() + " on all 7 projections, AdamW");
    result.put("target_speedup", 1.5);
    result.put("peak_gflops", round(gflops));
    List<Map<String, Object>> batches = new ArrayList<>();
    boolean reset = true;
    for (int[] batch : o.jobBatches()) {
      Map<String, Object> row = trainingAt(model, batch[0], batch[1]);
      reset &= (Boolean) row.remove("rss_reset");
      batches.add(row);
    }
    result.put("by_job_batch", batches);
    if (onGpu()) {
      result.put(
          "gpu_memory_source",
          "GPU memory in use (cudaMemGetInfo) after the first round of each, PyTorch's"
              + " cache emptied just before it: the round's peak reservation, model weights, adapters and"
              + " optimizer state of all jobs included");
    }
    result.put(
        "ceiling",
        "peak GFLOP/s / the sequential run's GFLOP/s: what fusion could gain at most on this CPU");
    result.put(
        "gflops_estimate",
        "4 x (projection + lm_head parameters) x tokens: forward plus input-gradient backward;"
            + " frozen weights get no weight gradient; attention and LoRA terms left out");
    result.put(
        "peak_memory_source",
        reset
            ? "process peak RSS (VmHWM, reset before the first round of each), model weights included;"
                + " libtorch's CPU allocator exposes no statistics through DJL"
            : "process peak RSS (VmHWM) since start: could not reset between phases");
    return result;
  }

  /**
   * Fused vs sequential steps of the jobs, each job taking {@code sequences} × {@code length}
   * tokens per step.
   */
  private Map<String, Object> trainingAt(BaseModel model, int sequences, int length) {
    ModelDims dims = model.dims();
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("sequences_per_job_step", sequences);
    result.put("sequence_length", length);
    result.put("rows_per_job_step", sequences * length);
    var trainer = new FusedTrainer(model);
    long tokensPerRound = (long) o.jobs() * sequences * length;

    // The two variants alternate within each repetition (as the decode part does), so a burst of
    // background load hits both rather than one whole phase. Peak RSS comes from the first round of
    // each,
    // sequential first, each from a mark reset just before it: later rounds would start from what
    // the
    // allocator kept of the other variant's larger activations.
    double[] sequentialRuns = new double[o.reps()];
    double[] fusedRuns = new double[o.reps()];
    double[] ratios = new double[o.reps()];
    double sequentialPeak = 0;
    double fusedPeak = 0;
    double sequentialGpu = -1;
    double fusedGpu = -1;
    boolean reset = true;
    try (var sequentialJobs = new Jobs(model, sequences, length);
        var fusedJobs = new Jobs(model, sequences, length)) {
      for (int rep = -o.warmup(); rep < o.reps(); rep++) {
        boolean first = rep == -o.warmup();
        reset &= !first || Machine.resetPeakRss();
        if (first && onGpu()) {
          Machine.emptyGpuCache();
        }
        long t0 = System.nanoTime();
        sequentialJobs.list.forEach(j -> trainer.step(List.of(j)));
        double sequential = (System.nanoTime() - t0) / 1e6;
        if (first) {
          sequentialPeak = Machine.peakRssMiB();
          sequentialGpu = onGpu() ? Machine.gpuUsedMiB(device) : -1;
          reset &= Machine.resetPeakRss();
          if (onGpu()) {
            Machine.emptyGpuCache();
          }
        }
        t0 = System.nanoTime();
        trainer.step(fusedJobs.list);
        double fused = (System.nanoTime() - t0) / 1e6;
        if (first) {
          fusedPeak = Machine.peakRssMiB();
          fusedGpu = onGpu() ? Machine.gpuUsedMiB(device) : -1;
        }
        if (rep >= 0) {
          sequentialRuns[rep] = sequential;
          fusedRuns[rep] = fused;
          ratios[rep] = sequential / fused;
        }
      }
    }
    double sequentialMs = Machine.median(sequentialRuns);
    double fusedMs = Machine.median(fusedRuns);
    double flopsPerRound =
        4.0 * tokensPerRound * (linearParams(dims) + (double) dims.vocabSize() * dims.hiddenSize());
    double seqTps = tokensPerRound / (sequentialMs / 1e3);
    double fusedTps = tokensPerRound / (fusedMs / 1e3);
    double seqGflops = flopsPerRound / (sequentialMs / 1e3) / 1e9;
    double fusedGflops = flopsPerRound / (fusedMs / 1e3) / 1e9;
    double ceiling = gflops / seqGflops;
    result.put("sequential_ms", round(sequentialMs));
    result.put("fused_ms", round(fusedMs));
    result.put("sequential_tokens_per_s", round(seqTps));
    result.put("fused_tokens_per_s", round(fusedTps));
    result.put("speedup", round(fusedTps / seqTps));
    result.put("speedup_median_of_repetitions", round(Machine.median(ratios)));
    result.put(
        "speedup_per_repetition",
        java.util.Arrays.stream(ratios).map(EngineBench::round).toArray());
    result.put("sequential_gflops", round(seqGflops));
    result.put("fused_gflops", round(fusedGflops));
    result.put("speedup_ceiling_from_idle_compute", round(ceiling));
    result.put("target_1_5_above_ceiling", ceiling < 1.5);
    result.put("sequential_peak_rss_mib", round(sequentialPeak));
    result.put("fused_peak_rss_mib", round(fusedPeak));
    if (onGpu()) {
      result.put("sequential_gpu_peak_reserved_mib", round(sequentialGpu));
      result.put("fused_gpu_peak_reserved_mib", round(fusedGpu));
    }
    result.put("rss_reset", reset);
    return result;
  }

  /** The benchmark's training jobs: same shape, different seeds and data. */
  private final class Jobs implements AutoCloseable {
    final List<TrainingJob> list = new ArrayList<>();

    Jobs(BaseModel model, int sequences, int length) {
      var rng = new SplittableRandom(3);
      for (int j = 0; j < o.jobs(); j++) {
        List<TrainingExample> data = new ArrayList<>();
        for (int s = 0; s < sequences * 2; s++) {
          int[] tokens = new int[length];
          for (int t = 0; t < tokens.length; t++) {
            tokens[t] = rng.nextInt(o.vocab());
          }
          data.add(new TrainingExample(tokens, tokens.length / 4));
        }
        var config =
            new TrainingConfig(
                100 + j,
                sequences,
                AdamW.Hyper.defaults(),
                new LrSchedule(1e-4, 2, 100, LrSchedule.Decay.COSINE));
        list.add(
            TrainingJob.lora(
                "job-" + j, model, LoraSpec.all(o.rank(), 2.0 * o.rank()), config, data));
      }
    }

    @Override
    public void close() {
      list.forEach(TrainingJob::close);
    }
  }

  // ---------------------------------------------------------------- sizes and random adapters

  private static double linearParams(ModelDims dims) {
    double p = 0;
    for (Projection proj : Projection.values()) {
      p += (double) dims.inFeatures(proj) * dims.outFeatures(proj);
    }
    return p * dims.numLayers();
  }

  private static double baseBytes(ModelDims dims) {
    return (linearParams(dims) + 2.0 * dims.vocabSize() * dims.hiddenSize()) * BYTES;
  }

  private static double adapterBytes(ModelDims dims, Set<Projection> targets, int rank) {
    double p = 0;
    for (Projection proj : targets) {
      p += (double) rank * (dims.inFeatures(proj) + dims.outFeatures(proj));
    }
    return p * dims.numLayers() * BYTES;
  }

  /**
   * {@code count} LoRA adapters with random, non-zero A and B (distinct pool slots, shared host
   * arrays).
   */
  private List<AdapterWeights> randomLoras(ModelDims dims, int count, Set<Projection> targets) {
    var rng = new SplittableRandom(count);
    Map<ModuleKey, LoraPair> modules = new LinkedHashMap<>();
    for (int l = 0; l < dims.numLayers(); l++) {
      for (Projection p : targets) {
        modules.put(
            new ModuleKey(l, p),
            randomPair(rng, o.rank(), dims.inFeatures(p), dims.outFeatures(p)));
      }
    }
    List<AdapterWeights> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(new Lora(o.rank(), 2.0, modules));
    }
    return out;
  }

  private MixLora randomMixLora(ModelDims dims) {
    var rng = new SplittableRandom(5);
    Map<Integer, float[]> routers = new HashMap<>();
    Map<MixLora.ExpertKey, LoraPair> experts = new LinkedHashMap<>();
    for (int l = 0; l < dims.numLayers(); l++) {
      routers.put(
          l,
          TinyModels.uniform(
              rng, o.experts() * dims.hiddenSize(), 1.0 / Math.sqrt(dims.hiddenSize())));
      for (Projection p : List.of(Projection.GATE, Projection.UP, Projection.DOWN)) {
        for (int e = 0; e < o.experts(); e++) {
          experts.put(
              new MixLora.ExpertKey(l, p, e),
              randomPair(rng, o.rank(), dims.inFeatures(p), dims.outFeatures(p)));
        }
      }
    }
    return new MixLora(
        o.rank(), 2.0, o.rank(), 2.0, o.experts(), o.topK(), routers, Map.of(), experts);
  }

  private static LoraPair randomPair(SplittableRandom rng, int rank, int in, int out) {
    return new LoraPair(
        rank,
        in,
        out,
        TinyModels.uniform(rng, rank * in, 1.0 / Math.sqrt(in)),
        TinyModels.uniform(rng, out * rank, 0.01));
  }

  private static double round(double v) {
    return Math.round(v * 1000.0) / 1000.0;
  }
}
