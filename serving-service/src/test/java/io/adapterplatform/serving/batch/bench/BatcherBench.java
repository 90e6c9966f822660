package io.adapterplatform.serving.batch.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.fused.AdapterPool;
import io.adapterplatform.engine.fused.GroupedLora;
import io.adapterplatform.engine.fused.PoolStorage;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.KvCache;
import io.adapterplatform.engine.model.KvStore;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.model.Segment;
import io.adapterplatform.engine.testing.TinyModels;
import io.adapterplatform.serving.batch.BatcherSettings;
import io.adapterplatform.serving.batch.ContinuousBatcher;
import io.adapterplatform.serving.batch.Finish;
import io.adapterplatform.serving.batch.GenerationRequest;
import io.adapterplatform.serving.batch.GenerationSink;
import io.adapterplatform.serving.batch.PoolLayout;
import io.adapterplatform.serving.batch.TokenEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * Decode throughput of the continuous batcher against the bare engine's fused decode step at the
 * same batch, for a number of distinct adapters (a quarter of them MixLoRA with {@code mix=true}).
 * The batcher figure counts only the tokens generated once every stream is decoding, so it measures
 * what scheduling, host sampling and sinks add to the fused step. Options as {@code key=value}:
 * hidden, inter, layers, heads, kvHeads, vocab, rank, streams, prompt, tokens, distinct
 * (comma-separated), mix. Prints one JSON object per line.
 */
public final class BatcherBench {

  /** What to run. */
  public record Options(
      int hidden,
      int inter,
      int layers,
      int heads,
      int kvHeads,
      int vocab,
      int rank,
      int streams,
      int prompt,
      int tokens,
      List<Integer> distinct,
      boolean mix) {

    static Options parse(String[] args) {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("hidden", "1024");
      m.put("inter", "2816");
      m.put("layers", "8");
      m.put("heads", "16");
      m.put("kvHeads", "8");
      m.put("vocab", "32000");
      m.put("rank", "16");
      m.put("streams", "64");
      m.put("prompt", "32");
      m.put("tokens", "64");
      m.put("distinct", "1,8,64");
      m.put("mix", "false");
      for (String a : args) {
        int eq = a.indexOf('=');
        if (eq < 0 || !m.containsKey(a.substring(0, eq))) {
          throw new IllegalArgumentException("unknown option " + a + "; options: " + m.keySet());
        }
        m.put(a.substring(0, eq), a.substring(eq + 1));
      }
      return new Options(
          Integer.parseInt(m.get("hidden")),
          Integer.parseInt(m.get("inter")),
          Integer.parseInt(m.get("layers")),
          Integer.parseInt(m.get("heads")),
          Integer.parseInt(m.get("kvHeads")),
          Integer.parseInt(m.get("vocab")),
          Integer.parseInt(m.get("rank")),
          Integer.parseInt(m.get("streams")),
          Integer.parseInt(m.get("prompt")),
          Integer.parseInt(m.get("tokens")),
          java.util.Arrays.stream(m.get("distinct").split(",")).map(Integer::parseInt).toList(),
          Boolean.parseBoolean(m.get("mix")));
    }
  }

  /** One distinct-adapter count: tokens/s of the engine's step and of the batcher. */
  public record Result(
      int distinct, int mixLora, double engineTokensPerS, double batcherTokensPerS) {

    public double ratio() {
      return batcherTokensPerS / engineTokensPerS;
    }
  }

  public static void main(String[] args) {
    Options o = Options.parse(args);
    for (Result r : run(o)) {
      System.out.printf(
          java.util.Locale.ROOT,
          "{\"streams\": %d, \"distinct\": %d, \"mixlora\": %d, \"engine_decode_tokens_per_s\": %.1f,"
              + " \"batcher_decode_tokens_per_s\": %.1f, \"ratio\": %.3f}%n",
          o.streams(),
          r.distinct(),
          r.mixLora(),
          r.engineTokensPerS(),
          r.batcherTokensPerS(),
          r.ratio());
    }
  }

  public static List<Result> run(Options o) {
    ModelDims dims =
        new ModelDims(
            o.hidden(),
            o.inter(),
            o.layers(),
            o.heads(),
            o.kvHeads(),
            o.hidden() / o.heads(),
            1e-5,
            10000.0,
            false,
            o.vocab());
    Map<String, float[]> weights = TinyModels.randomWeights(dims, 1);
    List<Result> results = new ArrayList<>();
    try (BaseModel model =
        BaseModel.fromWeights(dims, (name, shape) -> weights.get(name), Device.cpu())) {
      weights.clear();
      // the batcher warms up at start; the engine's figure must not pay for compiling the kernel
      io.adapterplatform.engine.fused.HostKernels.warmUp();
      for (int d : o.distinct()) {
        int mixes = o.mix() ? d / 4 : 0;
        List<AdapterWeights> adapters = new ArrayList<>();
        for (int i = 0; i < d - mixes; i++) {
          adapters.add(
              TinyModels.randomLora(
                  dims, o.rank(), 2 * o.rank(), false, EnumSet.allOf(Projection.class), i));
        }
        for (int i = 0; i < mixes; i++) {
          adapters.add(
              TinyModels.randomMixLora(
                  dims,
                  o.rank(),
                  2 * o.rank(),
                  8,
                  2,
                  EnumSet.of(Projection.Q, Projection.V),
                  null,
                  1000 + i));
        }
        PoolLayout layout = new PoolLayout(d - mixes, o.rank(), mixes, 8, 2, PoolStorage.FP32);
        // on a thread of its own, as the batcher's step thread: libgomp keeps one team per master
        // thread, and the main thread's (set up when DJL started) may be sized differently
        if (results.isEmpty()) {
          // untimed: compiles the host code of this batch size, which the batcher's warm-up does
          onOwnThread(() -> engineDecode(model, layout, adapters, o));
        }
        double engine = onOwnThread(() -> engineDecode(model, layout, adapters, o));
        double batcher = batcherDecode(model, layout, adapters, o);
        results.add(new Result(d, mixes, engine, batcher));
      }
    }
    return results;
  }

  private static double onOwnThread(java.util.function.DoubleSupplier work) {
    double[] result = new double[1];
    RuntimeException[] failure = new RuntimeException[1];
    Thread t =
        Thread.ofPlatform()
            .name("engine-decode")
            .start(
                () -> {
                  try {
                    result[0] = work.getAsDouble();
                  } catch (RuntimeException e) {
                    failure[0] = e;
                  }
                });
    try {
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    if (failure[0] != null) {
      throw failure[0];
    }
    return result[0];
  }

  private static int[] prompt(Options o, int stream) {
    var random = new SplittableRandom(stream);
    int[] p = new int[o.prompt()];
    for (int i = 0; i < p.length; i++) {
      p[i] = random.nextInt(o.vocab());
    }
    return p;
  }

  // the bare fused step: every stream in one KV store, one forwardLast per token, logits to the
  // host
  private static double engineDecode(
      BaseModel model, PoolLayout layout, List<AdapterWeights> adapters, Options o) {
    int b = o.streams();
    try (AdapterPool pool = layout.reserve(model);
        KvStore store = new KvStore(model, b, o.prompt() + o.tokens())) {
      for (int i = 0; i < adapters.size(); i++) {
        pool.put(i, adapters.get(i));
      }
      List<KvCache> caches = new ArrayList<>();
      int[] rowAdapter = new int[b];
      List<Segment> decode = new ArrayList<>();
      List<Segment> prefill = new ArrayList<>();
      int[] promptRows = new int[b * o.prompt()];
      int[] promptAdapter = new int[b * o.prompt()];
      for (int s = 0; s < b; s++) {
        KvCache c = store.allocate();
        caches.add(c);
        rowAdapter[s] = s % adapters.size();
        decode.add(new Segment(1, c));
        prefill.add(new Segment(o.prompt(), c));
        System.arraycopy(prompt(o, s), 0, promptRows, s * o.prompt(), o.prompt());
        java.util.Arrays.fill(promptAdapter, s * o.prompt(), (s + 1) * o.prompt(), rowAdapter[s]);
      }
      int[] last = new int[b];
      try (NDManager step = model.manager().newSubManager()) {
        float[] logits =
            model
                .forwardLast(
                    step,
                    promptRows,
                    prefill,
                    pool.bind(step, promptAdapter, GroupedLora.Strategy.AUTO))
                .toFloatArray();
        argMaxRows(logits, o.vocab(), last);
      }
      int warm = Math.min(16, o.tokens() / 2);
      long start = 0;
      for (int t = 0; t < o.tokens() - 1; t++) {
        if (t == warm) {
          start = System.nanoTime();
        }
        try (NDManager step = model.manager().newSubManager()) {
          float[] logits =
              model
                  .forwardLast(
                      step, last, decode, pool.bind(step, rowAdapter, GroupedLora.Strategy.AUTO))
                  .toFloatArray();
          argMaxRows(logits, o.vocab(), last);
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      caches.forEach(KvCache::close);
      return (double) b * (o.tokens() - 1 - warm) / seconds;
    }
  }

  private static void argMaxRows(float[] logits, int vocab, int[] into) {
    for (int r = 0; r < into.length; r++) {
      int best = 0;
      for (int i = 1; i < vocab; i++) {
        if (logits[r * vocab + i] > logits[r * vocab + best]) {
          best = i;
        }
      }
      into[r] = best;
    }
  }

  // every stream submitted at once; counted from the moment the last one has its first token
  private static double batcherDecode(
      BaseModel model, PoolLayout layout, List<AdapterWeights> adapters, Options o) {
    int b = o.streams();
    int length = o.prompt() + o.tokens();
    BatcherSettings settings =
        new BatcherSettings(
            b,
            Math.max(b, 512),
            512,
            length,
            (long) b * length,
            length,
            b,
            Duration.ofHours(1),
            GroupedLora.Strategy.AUTO,
            3);
    try (ContinuousBatcher batcher = ContinuousBatcher.start(model, layout, settings)) {
      batcher.ready().exceptionally(e -> null).join();
      batcher
          .betweenSteps(
              pool -> {
                for (int i = 0; i < adapters.size(); i++) {
                  pool.put(i, adapters.get(i));
                }
              })
          .join();
      long[][] times = new long[b][o.tokens()];
      List<CompletableFuture<Finish>> done = new ArrayList<>();
      for (int s = 0; s < b; s++) {
        long[] mine = times[s];
        GenerationSink sink =
            new GenerationSink() {
              int n;

              @Override
              public void onToken(TokenEvent token) {
                mine[n++] = System.nanoTime();
              }

              @Override
              public void onFinish(Finish finish) {}

              @Override
              public void onError(Throwable error) {}
            };
        done.add(
            batcher
                .submit(
                    GenerationRequest.greedy(prompt(o, s), s % adapters.size(), o.tokens()), sink)
                .completion());
      }
      done.forEach(CompletableFuture::join);
      long allDecoding = 0;
      long end = 0;
      for (long[] t : times) {
        allDecoding = Math.max(allDecoding, t[0]);
        end = Math.max(end, t[t.length - 1]);
      }
      long counted = 0;
      for (long[] t : times) {
        for (long when : t) {
          if (when > allDecoding) {
            counted++;
          }
        }
      }
      return counted / ((end - allDecoding) / 1e9);
    }
  }
}
