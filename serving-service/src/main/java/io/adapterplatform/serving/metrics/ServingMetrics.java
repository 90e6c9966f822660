package io.adapterplatform.serving.metrics;

import io.adapterplatform.serving.batch.BatcherStats;
import io.adapterplatform.serving.batch.ContinuousBatcher;
import io.adapterplatform.serving.batch.GenerationSink;
import io.adapterplatform.serving.pool.PoolProperties;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The serving service's own series (docs/serving.md, "Metrics"): generation requests, tokens, time
 * to first token and per output token, the scheduler's queue, rows and adapters per forward pass,
 * and the state the Gateway API Inference Extension's endpoint picker routes by ({@link
 * #modelServer()}). The pool's series (loads, hits, misses, evictions per tier) are the pool's own.
 *
 * <p>A batcher is watched from its first request on: {@link #started} is called before anything is
 * submitted to it, so no step of a request is missed, and the warm-up before it is not counted.
 */
@Component
public class ServingMetrics {

  /** Seconds, as vLLM's {@code time_to_first_token_seconds} buckets. */
  private static final double[] FIRST_TOKEN_BUCKETS = {
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40
  };

  /** Seconds, as vLLM's {@code time_per_output_token_seconds} buckets. */
  private static final double[] OUTPUT_TOKEN_BUCKETS = {
    0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10
  };

  private static final double[] ROW_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
  private static final double[] ADAPTER_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128};

  /** The window of {@code platform.serving.tokens.per.second}. */
  static final int RATE_WINDOW_SECONDS = 10;

  private final MeterRegistry meters;
  private final Clock clock;
  private final int maxLora;
  private final TokenRate generatedRate;
  private final Timer timeToFirstToken;
  private final Timer timePerOutputToken;
  private final DistributionSummary batchRows;
  private final DistributionSummary batchAdapters;
  private final Timer forwardPass;
  // weak keys: a batcher closed and dropped by the engine takes its model's memory with it
  private final Map<ContinuousBatcher, Watch> watches =
      Collections.synchronizedMap(new WeakHashMap<>());

  @Autowired
  public ServingMetrics(ObjectProvider<MeterRegistry> meters, PoolProperties pool) {
    this(meters.getIfAvailable(SimpleMeterRegistry::new), pool.places());
  }

  ServingMetrics(MeterRegistry meters, int maxLora) {
    this.meters = meters;
    this.clock = meters.config().clock();
    this.maxLora = maxLora;
    this.generatedRate = new TokenRate(RATE_WINDOW_SECONDS, clock::monotonicTime);
    this.timeToFirstToken =
        Timer.builder("platform.serving.time.to.first.token")
            .description("from a request's submission to its first generated token, per choice")
            .serviceLevelObjectives(durations(FIRST_TOKEN_BUCKETS))
            .register(meters);
    this.timePerOutputToken =
        Timer.builder("platform.serving.time.per.output.token")
            .description("between two generated tokens of one choice")
            .serviceLevelObjectives(durations(OUTPUT_TOKEN_BUCKETS))
            .register(meters);
    this.batchRows =
        DistributionSummary.builder("platform.serving.batch.rows")
            .description("rows of each forward pass: decoding rows plus prefill tokens")
            .serviceLevelObjectives(ROW_BUCKETS)
            .register(meters);
    this.batchAdapters =
        DistributionSummary.builder("platform.serving.batch.adapters")
            .description(
                "distinct adapters of each forward pass (the bare base model counts as one)")
            .serviceLevelObjectives(ADAPTER_BUCKETS)
            .register(meters);
    this.forwardPass =
        Timer.builder("platform.serving.batch.forward")
            .description(
                "each forward pass, logits copied to the host included; against the time per"
                    + " output token, what sampling, streaming and scheduling add")
            .serviceLevelObjectives(durations(OUTPUT_TOKEN_BUCKETS))
            .register(meters);
    gauge("platform.serving.queue.depth", "requests waiting for admission", s -> s.waiting());
    gauge(
        "platform.serving.requests.running", "requests admitted and generating", s -> s.running());
    Gauge.builder("platform.serving.kv.usage", this, m -> m.modelServer().kvUsage())
        .description("reserved KV tokens over the KV budget, 0 to 1 (the fullest base model's)")
        .register(meters);
    Gauge.builder("platform.serving.tokens.per.second", generatedRate, TokenRate::perSecond)
        .description("tokens generated per second over the last " + RATE_WINDOW_SECONDS + " s")
        .register(meters);
  }

  private void gauge(String name, String description, ToDoubleFunction<BatcherStats> of) {
    Gauge.builder(name, this, m -> m.sum(of)).description(description).register(meters);
  }

  private double sum(ToDoubleFunction<BatcherStats> of) {
    double sum = 0;
    for (ContinuousBatcher b : batchers()) {
      sum += of.applyAsDouble(b.stats());
    }
    return sum;
  }

  private List<ContinuousBatcher> batchers() {
    synchronized (watches) {
      return new ArrayList<>(watches.keySet());
    }
  }

  private static Duration[] durations(double[] seconds) {
    Duration[] out = new Duration[seconds.length];
    for (int i = 0; i < seconds.length; i++) {
      out[i] = Duration.ofNanos(Math.round(seconds[i] * 1e9));
    }
    return out;
  }

  /**
   * A generation request of {@code model} (the name the client sent) is about to be submitted to
   * {@code batcher} of {@code baseModel} with adapter slot {@code slot} (-1: the bare model).
   */
  public RequestMetrics started(
      String baseModel, ContinuousBatcher batcher, String model, int slot) {
    Watch watch;
    synchronized (watches) {
      watch = watches.get(batcher);
      if (watch == null) {
        watch = new Watch();
        watches.put(batcher, watch);
        batcher.onStep(
            (rows, adapters, forwardNanos) -> {
              batchRows.record(rows);
              batchAdapters.record(adapters);
              forwardPass.record(forwardNanos, TimeUnit.NANOSECONDS);
            });
      }
    }
    watch.add(slot, model);
    return new RequestMetrics(baseModel, watch, model, slot);
  }

  /**
   * What the endpoint picker of the Gateway API Inference Extension reads, summed over the base
   * models this server runs.
   */
  public ModelServerState modelServer() {
    int waiting = 0;
    int running = 0;
    double kv = 0;
    Set<String> runningNames = new TreeSet<>();
    Set<String> waitingNames = new TreeSet<>();
    List<Map.Entry<ContinuousBatcher, Watch>> entries;
    synchronized (watches) {
      entries = new ArrayList<>(watches.entrySet());
    }
    for (var e : entries) {
      BatcherStats s = e.getKey().stats();
      waiting += s.waiting();
      running += s.running();
      kv = Math.max(kv, s.kvUtilisation());
      runningNames.addAll(e.getValue().names(s.runningAdapterSlots()));
      waitingNames.addAll(e.getValue().names(s.waitingAdapterSlots()));
    }
    return new ModelServerState(
        waiting, running, kv, maxLora, List.copyOf(runningNames), List.copyOf(waitingNames));
  }

  /** The model names of the requests in flight on one batcher, per adapter slot. */
  static final class Watch {
    private final Map<Integer, Map<String, Integer>> inFlight = new HashMap<>();

    synchronized void add(int slot, String name) {
      inFlight.computeIfAbsent(slot, s -> new HashMap<>()).merge(name, 1, Integer::sum);
    }

    synchronized void remove(int slot, String name) {
      Map<String, Integer> names = inFlight.get(slot);
      if (names != null) {
        names.computeIfPresent(name, (n, count) -> count == 1 ? null : count - 1);
        if (names.isEmpty()) {
          inFlight.remove(slot);
        }
      }
    }

    // the bare base model (slot -1) is no adapter
    synchronized List<String> names(Set<Integer> slots) {
      List<String> out = new ArrayList<>();
      for (int slot : slots) {
        if (slot >= 0 && inFlight.containsKey(slot)) {
          out.addAll(inFlight.get(slot).keySet());
        }
      }
      return out;
    }
  }

  /** One request's part: its choices' token timings, then its usage once. */
  public final class RequestMetrics {
    private final String baseModel;
    private final Watch watch;
    private final String model;
    private final int slot;
    private final long submitted = clock.monotonicTime();
    private boolean ended;

    private RequestMetrics(String baseModel, Watch watch, String model, int slot) {
      this.baseModel = baseModel;
      this.watch = watch;
      this.model = model;
      this.slot = slot;
    }

    /** {@code sink}, timing the tokens it hears: pass this to the batcher instead. */
    public GenerationSink timed(GenerationSink sink) {
      return new TimedSink(
          sink, submitted, clock, timeToFirstToken, timePerOutputToken, this::generated);
    }

    private void generated() {
      generatedRate.add(1);
    }

    /** The request is over with this usage (later calls change nothing). */
    public synchronized void finished(int promptTokens, int completionTokens) {
      if (ended) {
        return;
      }
      ended = true;
      watch.remove(slot, model);
      Counter.builder("platform.serving.prompt.tokens")
          .description("prompt tokens of finished requests (usage.prompt_tokens)")
          .tag("base_model", baseModel)
          .register(meters)
          .increment(promptTokens);
      Counter.builder("platform.serving.generation.tokens")
          .description("generated tokens of finished requests (usage.completion_tokens)")
          .tag("base_model", baseModel)
          .register(meters)
          .increment(completionTokens);
    }

    /** Nothing was accepted (the queue was full, a parameter was refused): no usage to count. */
    public synchronized void rejected() {
      if (!ended) {
        ended = true;
        watch.remove(slot, model);
      }
    }
  }
}
