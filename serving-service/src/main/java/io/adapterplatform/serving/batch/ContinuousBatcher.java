package io.adapterplatform.serving.batch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.adapterplatform.engine.fused.AdapterPool;
import io.adapterplatform.engine.fused.HostKernels;
import io.adapterplatform.engine.model.AdapterHook;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.KvCache;
import io.adapterplatform.engine.model.KvStore;
import io.adapterplatform.engine.model.Segment;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Iteration-level continuous batching over one base model, one adapter pool and one KV store.
 *
 * <p>One step thread runs the loop: pool mutations queued by {@link #betweenSteps}, then cancelled
 * and timed-out requests leave, waiting requests are admitted while rows and KV budget allow, and
 * one fused forward pass runs the decode rows of every running request together with prefill chunks
 * of the new ones (each row bound to its request's adapter slot). The logits of the rows that need
 * them go to the host, where each request samples with its own generator and its sink gets its
 * tokens; finished requests free their row and KV slot for the next step.
 *
 * <p>The batcher owns the pool and the KV store and closes them. The base model is the caller's.
 */
public final class ContinuousBatcher implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(ContinuousBatcher.class.getName());

  private final BaseModel model;
  private final AdapterPool pool;
  private final BatcherSettings settings;
  private final InstantSource clock;
  private final KvStore store;
  private final int vocab;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  // guarded by lock
  private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
  private final List<Mutation> mutations = new ArrayList<>();
  private boolean closing;
  private boolean stopped;

  // step thread only
  private final List<Sequence> running = new ArrayList<>();
  private long kvReserved;
  private long steps;
  private long forwardNanos;
  private int lastStepRows;
  private int lastStepAdapters;
  private int rotation;

  // written by any thread, read by the step thread at each step
  private volatile int maxAdaptersPerStep = Integer.MAX_VALUE;

  private final Thread stepThread;
  private final CompletableFuture<Void> ready = new CompletableFuture<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile BatcherStats stats;
  private volatile StepListener stepListener = (rows, adapters, forwardNanos) -> {};

  /**
   * Hears of every forward pass run for requests (warm-up passes excluded), on the step thread
   * right after it: it must return at once and never throw (metrics record here).
   */
  @FunctionalInterface
  public interface StepListener {
    /**
     * @param rows rows of the pass (decoding rows plus prefill tokens)
     * @param distinctAdapters distinct adapter slots among them (the base model counted as one)
     * @param forwardNanos the pass's duration, its logits copied to the host included
     */
    void stepped(int rows, int distinctAdapters, long forwardNanos);
  }

  private record Mutation(Consumer<AdapterPool> action, CompletableFuture<Void> done) {}

  /** A batcher over {@code pool} (which it owns from now on), on the system clock. */
  public ContinuousBatcher(BaseModel model, AdapterPool pool, BatcherSettings settings) {
    this(model, pool, settings, InstantSource.system());
  }

  /** As above, with the clock that timeouts are measured on. */
  public ContinuousBatcher(
      BaseModel model, AdapterPool pool, BatcherSettings settings, InstantSource clock) {
    this.model = model;
    this.pool = pool;
    this.settings = settings;
    this.clock = clock;
    this.vocab = model.dims().vocabSize();
    this.store =
        new KvStore(
            model,
            settings.maxRows(),
            Math.min(settings.kvInitialTokens(), settings.maxSequenceTokens()));
    this.stats =
        new BatcherStats(
            0, 0, settings.maxRows(), 0, settings.kvTokenBudget(), 0, 0, 0, 0, Set.of(), Set.of());
    this.stepThread = Thread.ofPlatform().name("serving-batcher").daemon().unstarted(this::run);
    stepThread.start();
  }

  /** A batcher over a fresh pool of {@code layout}'s empty places. */
  public static ContinuousBatcher start(
      BaseModel model, PoolLayout layout, BatcherSettings settings) {
    return new ContinuousBatcher(model, layout.reserve(model), settings);
  }

  /** Completes when the start-up warm-up is over (requests submitted before simply wait). */
  public CompletableFuture<Void> ready() {
    return ready.copy();
  }

  public BatcherSettings settings() {
    return settings;
  }

  /** Number of adapter pool indices a request may name. */
  public int adapterPlaces() {
    return pool.size();
  }

  /** Replaces the {@link StepListener} (none at first). */
  public void onStep(StepListener listener) {
    this.stepListener = java.util.Objects.requireNonNull(listener, "listener");
  }

  /**
   * Lets at most {@code limit} distinct adapters (the base model counting as one) into each forward
   * pass from the next step on; the others' rows wait for a later step, taken in turn. 1 is how a
   * server without multi-adapter kernels batches: one adapter per batch. It exists to measure what
   * the fused forward gains ({@code bin/platform bench serving}); serving leaves it unlimited.
   */
  public void limitAdaptersPerStep(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, got " + limit);
    }
    maxAdaptersPerStep = limit;
  }

  /** The state after the latest step. */
  public BatcherStats stats() {
    return stats;
  }

  /**
   * Accepts a request into the waiting queue; its output goes to {@code sink}.
   *
   * @throws IllegalArgumentException when the request does not fit this model or these limits (a
   *     token outside the vocabulary, an adapter slot outside the pool, too long)
   * @throws QueueFullException when the queue is full
   * @throws RejectedExecutionException when the batcher is closing
   */
  public GenerationHandle submit(GenerationRequest request, GenerationSink sink) {
    validate(request);
    java.util.Objects.requireNonNull(sink, "sink");
    Instant deadline =
        clock
            .instant()
            .plus(request.timeout() != null ? request.timeout() : settings.defaultTimeout());
    Sequence s = new Sequence(request, sink, deadline);
    lock.lock();
    try {
      if (closing) {
        throw new RejectedExecutionException("the batcher is shutting down");
      }
      if (waiting.size() >= settings.queueCapacity()) {
        throw new QueueFullException(
            "all " + settings.queueCapacity() + " places of the waiting queue are taken");
      }
      waiting.add(s);
      work.signal();
    } finally {
      lock.unlock();
    }
    return new GenerationHandle(s, this);
  }

  private void validate(GenerationRequest r) {
    if (r.adapterSlot() >= pool.size()) {
      throw new IllegalArgumentException(
          "adapterSlot " + r.adapterSlot() + " is outside the pool [0, " + pool.size() + ")");
    }
    long length = (long) r.promptLength() + r.maxTokens();
    if (length > settings.maxSequenceTokens()) {
      throw new IllegalArgumentException(
          "prompt ("
              + r.promptLength()
              + ") plus max_tokens ("
              + r.maxTokens()
              + ") exceeds the limit of "
              + settings.maxSequenceTokens()
              + " tokens");
    }
    for (int i = 0; i < r.promptLength(); i++) {
      int t = r.promptToken(i);
      if (t < 0 || t >= vocab) {
        throw new IllegalArgumentException(
            "token id " + t + " is outside the vocabulary [0, " + vocab + ")");
      }
    }
  }

  /**
   * Runs {@code mutation} on the step thread before the next step (at once when idle): the only way
   * to write or clear places of the pool while the batcher runs. The future completes after it ran,
   * exceptionally when it threw or the batcher has stopped.
   */
  public CompletableFuture<Void> betweenSteps(Consumer<AdapterPool> mutation) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    lock.lock();
    try {
      if (stopped) {
        done.completeExceptionally(new RejectedExecutionException("the batcher has stopped"));
      } else {
        mutations.add(new Mutation(mutation, done));
        work.signal();
      }
    } finally {
      lock.unlock();
    }
    return done;
  }

  void cancel(Sequence s) {
    s.cancelled = true;
    lock.lock();
    try {
      work.signal();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops accepting requests, lets every accepted one finish (or time out), then frees the KV store
   * and the pool. Blocks until then.
   */
  @Override
  public void close() {
    if (Thread.currentThread() == stepThread) {
      throw new IllegalStateException("close() from the step thread would wait for itself");
    }
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    lock.lock();
    try {
      closing = true;
      work.signal();
    } finally {
      lock.unlock();
    }
    boolean interrupted = false;
    while (stepThread.isAlive()) {
      try {
        stepThread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    store.close();
    pool.close();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- the step thread

  private void run() {
    try {
      double ms = warmUp();
      if (ms > 0) {
        LOG.log(System.Logger.Level.INFO, "serving batcher warmed up in {0} ms", Math.round(ms));
      }
      ready.complete(null);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "serving batcher warm-up failed; serving anyway", e);
      ready.completeExceptionally(e);
    }
    try {
      loop();
    } catch (RuntimeException | Error e) {
      // a bug, or the JVM out of memory: fail everything rather than leave callers waiting forever
      LOG.log(System.Logger.Level.ERROR, "the serving batcher's step thread died", e);
      abandon(e);
      throw e;
    }
  }

  private void abandon(Throwable cause) {
    List<Sequence> queued;
    List<Mutation> todo;
    lock.lock();
    try {
      closing = true;
      stopped = true;
      queued = List.copyOf(waiting);
      waiting.clear();
      todo = List.copyOf(mutations);
      mutations.clear();
    } finally {
      lock.unlock();
    }
    for (Sequence s : List.copyOf(running)) {
      release(s);
      fail(s, cause);
    }
    queued.forEach(s -> fail(s, cause));
    todo.forEach(m -> m.done().completeExceptionally(cause));
  }

  private void loop() {
    while (true) {
      List<Mutation> todo;
      List<Sequence> leaving = new ArrayList<>();
      List<Sequence> admitted = new ArrayList<>();
      Instant now;
      lock.lock();
      try {
        while (mutations.isEmpty() && waiting.isEmpty() && running.isEmpty() && !closing) {
          work.awaitUninterruptibly();
        }
        if (closing && mutations.isEmpty() && waiting.isEmpty() && running.isEmpty()) {
          stopped = true;
          break;
        }
        todo = List.copyOf(mutations);
        mutations.clear();
        Instant checked = clock.instant();
        now = checked;
        waiting.removeIf(
            s -> {
              boolean leaves = s.cancelled || checked.isAfter(s.deadline);
              if (leaves) {
                leaving.add(s);
              }
              return leaves;
            });
      } finally {
        lock.unlock();
      }
      for (Sequence s : leaving) {
        end(s);
      }
      for (Mutation m : todo) {
        try {
          m.action().accept(pool);
          m.done().complete(null);
        } catch (RuntimeException e) {
          m.done().completeExceptionally(e);
        }
      }
      for (Sequence s : List.copyOf(running)) {
        if (s.cancelled || now.isAfter(s.deadline)) {
          end(s);
        }
      }
      lock.lock();
      try {
        admit(admitted);
      } finally {
        lock.unlock();
      }
      for (Sequence s : admitted) {
        start(s);
      }
      step();
      publishStats();
    }
  }

  // a cancelled or timed-out request leaves
  private void end(Sequence s) {
    release(s);
    if (s.cancelled) {
      s.done.cancel(false);
    } else {
      fail(
          s,
          new GenerationTimeoutException(
              "the request did not finish within its timeout (deadline " + s.deadline + ")"));
    }
  }

  private void admit(List<Sequence> admitted) {
    while (!waiting.isEmpty() && running.size() < settings.maxRows()) {
      Sequence s = waiting.peek();
      if (kvReserved + s.kvReservation > settings.kvTokenBudget()) {
        break; // first come, first served: a large request is not overtaken forever
      }
      waiting.poll();
      running.add(s);
      kvReserved += s.kvReservation;
      admitted.add(s);
    }
  }

  private void start(Sequence s) {
    if (!s.needsForward()) {
      // echo without scores and max_tokens 0: nothing to compute
      if (s.request.echo()) {
        for (int i = 0; i < s.request.promptLength(); i++) {
          if (!emit(s, new TokenEvent(s.request.promptToken(i), true, null))) {
            return;
          }
        }
      }
      finish(s, FinishReason.LENGTH);
      return;
    }
    s.cache = store.allocate();
  }

  /** One participant of a step: its rows are [firstRow, firstRow + length). */
  private record Part(Sequence seq, int firstRow, int length, int firstLogit, boolean allRows) {}

  private void step() {
    List<Part> parts = new ArrayList<>();
    List<Segment> segments = new ArrayList<>();
    int budget = settings.maxTokensPerStep();
    int rows = 0;
    int logitRows = 0;
    Set<Integer> allowed = adaptersOfThisStep();
    for (Sequence s : running) {
      if (s.cache != null && s.decoding() && takes(allowed, s)) {
        parts.add(new Part(s, rows, 1, logitRows++, false));
        segments.add(new Segment(1, s.cache));
        rows++;
      }
    }
    int prefill = Math.min(settings.prefillChunkTokens(), budget - rows);
    for (Sequence s : running) {
      if (prefill == 0) {
        break;
      }
      if (s.cache != null && !s.decoding() && takes(allowed, s)) {
        int n = Math.min(prefill, s.request.promptLength() - s.prefilled);
        boolean completes = s.prefilled + n == s.request.promptLength();
        boolean all = s.scoresPrompt();
        parts.add(new Part(s, rows, n, logitRows, all));
        logitRows += all ? n : (completes && s.request.maxTokens() > 0 ? 1 : 0);
        segments.add(new Segment(n, s.cache));
        rows += n;
        prefill -= n;
      }
    }
    if (rows == 0) {
      return;
    }
    int[] tokens = new int[rows];
    int[] rowAdapter = new int[rows];
    long[] logitIndex = new long[logitRows];
    Set<Integer> adapters = new HashSet<>();
    for (Part p : parts) {
      Sequence s = p.seq();
      adapters.add(s.request.adapterSlot());
      for (int i = 0; i < p.length(); i++) {
        tokens[p.firstRow() + i] =
            s.decoding() ? s.lastToken : s.request.promptToken(s.prefilled + i);
        rowAdapter[p.firstRow() + i] = s.request.adapterSlot();
      }
      if (p.allRows()) {
        for (int i = 0; i < p.length(); i++) {
          logitIndex[p.firstLogit() + i] = p.firstRow() + i;
        }
      } else if (p.firstLogit() < logitRows
          && (s.decoding() || s.prefilled + p.length() == s.request.promptLength())
          && (s.decoding() || s.request.maxTokens() > 0)) {
        logitIndex[p.firstLogit()] = p.firstRow() + p.length() - 1;
      }
    }
    float[] logits;
    long forwardStart = System.nanoTime();
    try (NDManager step = model.manager().newSubManager()) {
      AdapterHook hook = pool.bind(step, rowAdapter, settings.strategy());
      NDArray hidden = model.hidden(step, tokens, segments, hook);
      logits =
          logitRows == 0
              ? new float[0]
              : model.logits(hidden.get(new NDIndex("{}", step.create(logitIndex)))).toFloatArray();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "a forward pass failed; its requests fail", e);
      for (Part p : parts) {
        release(p.seq());
        fail(p.seq(), e);
      }
      return;
    }
    long forward = System.nanoTime() - forwardStart;
    steps++;
    forwardNanos += forward;
    lastStepRows = rows;
    lastStepAdapters = adapters.size();
    stepListener.stepped(rows, lastStepAdapters, forward);
    for (Part p : parts) {
      Sequence s = p.seq();
      if (s.decoding()) {
        generate(s, logits, p.firstLogit());
      } else {
        prefilled(s, p, logits);
      }
    }
  }

  // null when unlimited; else the adapters of up to maxAdaptersPerStep running requests, starting
  // one request further at every step so that each adapter gets its turn
  private Set<Integer> adaptersOfThisStep() {
    int limit = maxAdaptersPerStep;
    if (limit == Integer.MAX_VALUE || running.isEmpty()) {
      return null;
    }
    Set<Integer> chosen = new HashSet<>();
    int n = running.size();
    rotation %= n;
    for (int i = 0; i < n && chosen.size() < limit; i++) {
      Sequence s = running.get((rotation + i) % n);
      if (s.cache != null) {
        chosen.add(s.request.adapterSlot());
      }
    }
    rotation++;
    return chosen;
  }

  private static boolean takes(Set<Integer> allowed, Sequence s) {
    return allowed == null || allowed.contains(s.request.adapterSlot());
  }

  private void prefilled(Sequence s, Part p, float[] logits) {
    GenerationRequest r = s.request;
    int from = s.prefilled;
    s.prefilled += p.length();
    if (r.echo()) {
      if (from == 0 && !emit(s, new TokenEvent(r.promptToken(0), true, null))) {
        return;
      }
      // row `row` predicts prompt token row + 1
      for (int row = from; row < s.prefilled && row + 1 < r.promptLength(); row++) {
        int token = r.promptToken(row + 1);
        TokenLogprobs lp =
            p.allRows()
                ? Sampler.logprobs(
                    logits,
                    (p.firstLogit() + row - from) * vocab,
                    vocab,
                    token,
                    r.logprobs().getAsInt())
                : null;
        if (!emit(s, new TokenEvent(token, true, lp))) {
          return;
        }
      }
    }
    if (!s.decoding()) {
      return;
    }
    if (r.maxTokens() == 0) {
      finish(s, FinishReason.LENGTH);
      return;
    }
    generate(s, logits, p.allRows() ? p.firstLogit() + p.length() - 1 : p.firstLogit());
  }

  private void generate(Sequence s, float[] logits, int logitRow) {
    GenerationRequest r = s.request;
    int offset = logitRow * vocab;
    int token = Sampler.choose(logits, offset, vocab, r.sampling(), s.random);
    TokenLogprobs lp =
        r.logprobs().isPresent()
            ? Sampler.logprobs(logits, offset, vocab, token, r.logprobs().getAsInt())
            : null;
    s.generated++;
    s.lastToken = token;
    if (!emit(s, new TokenEvent(token, false, lp))) {
      return;
    }
    if (r.stopTokenIds().contains(token)) {
      finish(s, FinishReason.STOP);
    } else if (s.generated == r.maxTokens()) {
      finish(s, FinishReason.LENGTH);
    }
  }

  // false when the sink threw: the client is gone, the request is dropped as cancelled
  private boolean emit(Sequence s, TokenEvent event) {
    try {
      s.sink.onToken(event);
      return true;
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "a sink refused a token; its request is cancelled", e);
      s.cancelled = true;
      release(s);
      s.done.cancel(false);
      return false;
    }
  }

  private void finish(Sequence s, FinishReason reason) {
    release(s);
    Finish f = new Finish(reason, s.request.promptLength(), s.generated);
    try {
      s.sink.onFinish(f);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "a sink refused the finish", e);
    }
    s.done.complete(f);
  }

  private void fail(Sequence s, Throwable error) {
    try {
      s.sink.onError(error);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "a sink refused an error", e);
    }
    s.done.completeExceptionally(error);
  }

  // frees the row, the KV slot and the reservation of a running request (no-op for waiting ones)
  private void release(Sequence s) {
    s.closeCache();
    if (running.remove(s)) {
      kvReserved -= s.kvReservation;
    }
  }

  private void publishStats() {
    Set<Integer> runningSlots = new HashSet<>();
    for (Sequence s : running) {
      runningSlots.add(s.request.adapterSlot());
    }
    Set<Integer> waitingSlots = new HashSet<>();
    int waitingCount;
    lock.lock();
    try {
      waitingCount = waiting.size();
      for (Sequence s : waiting) {
        waitingSlots.add(s.request.adapterSlot());
      }
    } finally {
      lock.unlock();
    }
    stats =
        new BatcherStats(
            waitingCount,
            running.size(),
            settings.maxRows(),
            kvReserved,
            settings.kvTokenBudget(),
            steps,
            forwardNanos,
            lastStepRows,
            lastStepAdapters,
            runningSlots,
            waitingSlots);
  }

  // Compiles the host kernel, then its per-batch host code at the batch sizes this batcher runs:
  // one decode row, all rows decoding, and a full step of prefill (docs/engine.md: a size never
  // warmed is compiled during the first real batches, at their expense).
  private double warmUp() {
    if (settings.warmUpRounds() == 0 || !pool.kernelUsable()) {
      return 0;
    }
    long start = System.nanoTime();
    HostKernels.warmUp();
    Set<Integer> sizes = new java.util.TreeSet<>();
    sizes.add(1);
    sizes.add(settings.maxRows());
    sizes.add(settings.maxTokensPerStep());
    for (int round = 0; round < settings.warmUpRounds(); round++) {
      for (int size : sizes) {
        warmForward(size);
      }
    }
    return (System.nanoTime() - start) / 1e6;
  }

  private void warmForward(int rows) {
    int seqs = Math.min(rows, settings.maxRows());
    List<KvCache> caches = new ArrayList<>();
    try {
      List<Segment> prefill = new ArrayList<>();
      List<Segment> decode = new ArrayList<>();
      for (int i = 0; i < seqs; i++) {
        KvCache c = store.allocate();
        caches.add(c);
        prefill.add(new Segment(rows / seqs + (i < rows % seqs ? 1 : 0), c));
        decode.add(new Segment(1, c));
      }
      forwardOnce(rows, prefill);
      forwardOnce(seqs, decode);
    } finally {
      caches.forEach(KvCache::close);
    }
  }

  private void forwardOnce(int rows, List<Segment> segments) {
    int[] rowAdapter = new int[rows];
    for (int t = 0; t < rows; t++) {
      // every kind of place and the bare model, in runs and alone
      rowAdapter[t] = (t / 2) % (pool.size() + 1) - 1;
    }
    try (NDManager step = model.manager().newSubManager()) {
      model.hidden(step, new int[rows], segments, pool.bind(step, rowAdapter, settings.strategy()));
    }
  }
}
