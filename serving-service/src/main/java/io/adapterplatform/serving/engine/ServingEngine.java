package io.adapterplatform.serving.engine;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.adapterplatform.engine.fused.AdapterPool;
import io.adapterplatform.engine.fused.PoolStorage;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.Devices;
import io.adapterplatform.engine.model.ModelDirectory;
import io.adapterplatform.serving.batch.BatcherSettings;
import io.adapterplatform.serving.batch.ContinuousBatcher;
import io.adapterplatform.serving.batch.PoolLayout;
import io.adapterplatform.serving.models.RegistryAccess;
import io.adapterplatform.serving.pool.PoolProperties;
import io.adapterplatform.serving.pool.PoolWriter;
import io.adapterplatform.web.problem.ApiException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.http.HttpStatus;

/**
 * The base models this server holds, each with its own {@link ContinuousBatcher} over its own
 * adapter pool (reserved with {@code platform.serving.pool.*}), so that rows of different base
 * models never share a batch. A base model starts with its files fetched from the registry (sha256
 * verified), its weights loaded onto the engine's device and the batcher's warm-up run at the batch
 * sizes it serves. It is the adapter pool's {@link PoolWriter}: a device write runs between the
 * steps of the batcher of the adapter's base model.
 *
 * <p>Pinned ({@code platform.serving.base-models}, a Kubernetes serving Deployment): those models
 * are loaded at start-up ({@link #loadPinned}), never unloaded, and a request for any other is 404.
 * Otherwise (one JVM) any registered base model is loaded on first use and at most {@code
 * platform.serving.engine.max-resident-models} are held: the least recently used one without
 * in-flight requests is unloaded to make room. Concurrent first requests for one model share one
 * load, which runs on the first request's thread and holds no lock, so it never blocks the decoding
 * of other models.
 *
 * <p>As a {@link SmartLifecycle} it is stopped first when the context closes: new requests get 503
 * with {@code Retry-After} while the in-flight ones finish (up to {@code
 * platform.serving.engine.drain-timeout}); then the web server shuts down gracefully and {@link
 * #close} frees the models.
 */
public final class ServingEngine implements PoolWriter, SmartLifecycle, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ServingEngine.class);

  private final BaseModelFiles files;
  private final PoolProperties pool;
  private final EngineProperties properties;
  private final Set<String> pinned;
  private final Consumer<String> onUnload;
  private final Path root;
  // read without the lock by betweenSteps (the adapter pool calls it under its own lock); changed
  // only under this engine's lock
  private final Map<String, Resident> models = new ConcurrentHashMap<>();
  private final Map<String, Long> loads = new ConcurrentHashMap<>();
  private long ticks;
  private int inFlight;
  private boolean draining;
  private boolean closed;
  private volatile boolean running;
  private Thread pinnedLoader;

  private static final class Resident {
    final String name;
    final boolean pinned;
    final CompletableFuture<ServedModel> loaded = new CompletableFuture<>();
    volatile CompletableFuture<Void> unloaded;
    // its own directory: a reload never writes where an unloading copy was read from
    final Path dir;
    int users;
    long lastUse;

    Resident(String name, boolean pinned, Path root) {
      this.name = name;
      this.pinned = pinned;
      this.dir = root.resolve(name + "-" + UUID.randomUUID());
    }

    boolean serving() {
      return loaded.isDone() && !loaded.isCompletedExceptionally() && unloaded == null;
    }
  }

  /**
   * @param pinned the base models of {@code platform.serving.base-models}
   * @param onUnload told the name of a base model once it is unloaded (the adapter pool forgets its
   *     device places)
   */
  ServingEngine(
      RegistryAccess registry,
      PoolProperties pool,
      EngineProperties properties,
      List<String> pinned,
      Consumer<String> onUnload) {
    this.files = new BaseModelFiles(registry);
    this.pool = pool;
    this.properties = properties;
    this.pinned = new LinkedHashSet<>(pinned);
    this.onUnload = onUnload;
    try {
      this.root = Files.createTempDirectory("serving-base-models-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the base models' directory", e);
    }
    for (String name : this.pinned) {
      models.put(name, new Resident(name, true, root));
    }
  }

  /**
   * A lease on {@code baseModel}, loaded first when it is not resident (the calling request waits;
   * concurrent ones wait for the same load).
   *
   * @param token the caller's token: the registry applies its roles to the download
   * @throws ApiException 404 when this server is pinned to other base models; {@link
   *     EngineUnavailableException} (503) while shutting down, while a pinned model is still
   *     loading, or when every resident model is in use and none may be unloaded
   */
  public ModelLease use(String baseModel, String token) {
    while (true) {
      Resident resident;
      boolean load = false;
      List<Resident> victims = List.of();
      CompletableFuture<Void> leaving = null;
      synchronized (this) {
        if (closed || draining) {
          throw new EngineUnavailableException(
              "shutting-down", "the server is shutting down: retry on another one");
        }
        if (!pinned.isEmpty() && !pinned.contains(baseModel)) {
          throw ApiException.notFound(
              "base model '"
                  + baseModel
                  + "' on this server (it serves "
                  + String.join(", ", pinned)
                  + " and their adapters)");
        }
        resident = models.get(baseModel);
        if (resident != null && resident.unloaded != null) {
          leaving = resident.unloaded;
        } else {
          if (resident == null) {
            victims = makeRoom();
            resident = new Resident(baseModel, false, root);
            models.put(baseModel, resident);
            load = true;
          } else if (resident.pinned && !resident.loaded.isDone()) {
            throw new EngineUnavailableException(
                "base-model-loading",
                "base model '" + baseModel + "' is still loading and warming up on this server");
          }
          resident.users++;
          inFlight++;
          resident.lastUse = ++ticks;
        }
      }
      if (leaving != null) {
        // the same model is being unloaded: load it again once that is over
        leaving.join();
        continue;
      }
      victims.forEach(this::unload);
      Resident held = resident;
      if (load) {
        load(held, token);
      }
      try {
        return new ModelLease(held.loaded.join(), () -> release(held));
      } catch (CompletionException e) {
        release(held);
        throw e.getCause() instanceof RuntimeException r ? r : e;
      }
    }
  }

  /**
   * The model {@code baseModel}, loaded first when needed, without holding it.
   *
   * @deprecated a model that no lease holds may be unloaded at any time: use {@link #use}
   */
  @Deprecated
  public ServedModel serve(String baseModel, String token) {
    try (ModelLease lease = use(baseModel, token)) {
      return lease.model();
    }
  }

  /** The most recently used base model that is loaded, if any. */
  public synchronized Optional<ServedModel> current() {
    return models.values().stream()
        .filter(Resident::serving)
        .max(Comparator.comparingLong(r -> r.lastUse))
        .map(r -> r.loaded.join());
  }

  /** Every base model loaded and serving now. */
  public synchronized List<ServedModel> resident() {
    return models.values().stream()
        .filter(Resident::serving)
        .map(r -> r.loaded.join())
        .sorted(Comparator.comparing(ServedModel::name))
        .toList();
  }

  /** What the engine holds or is loading, by name. */
  public synchronized List<ResidentModel> models() {
    return models.values().stream()
        .map(
            r ->
                new ResidentModel(
                    r.name,
                    r.pinned,
                    r.unloaded != null
                        ? ResidentModel.State.UNLOADING
                        : r.serving() ? ResidentModel.State.SERVING : ResidentModel.State.LOADING,
                    r.users,
                    loads.getOrDefault(r.name, 0L)))
        .sorted(Comparator.comparing(ResidentModel::name))
        .toList();
  }

  /** How often {@code baseModel} was loaded since the server started. */
  public long loads(String baseModel) {
    return loads.getOrDefault(baseModel, 0L);
  }

  /** The pinned base models ({@code platform.serving.base-models}); empty: loaded on first use. */
  public List<String> pinned() {
    return List.copyOf(pinned);
  }

  /** True once every pinned base model is loaded and warmed up, and no shutdown has begun. */
  public synchronized boolean ready() {
    return !draining && !closed && pinned.stream().allMatch(name -> models.get(name).serving());
  }

  /** True once a shutdown has begun: new requests are refused. */
  public synchronized boolean draining() {
    return draining || closed;
  }

  // under the lock: the idle models to unload so that one more fits
  private List<Resident> makeRoom() {
    List<Resident> victims = new ArrayList<>();
    long held = models.values().stream().filter(r -> r.unloaded == null).count();
    while (held >= properties.maxResidentModels()) {
      Resident victim =
          models.values().stream()
              .filter(r -> r.unloaded == null && !r.pinned && r.users == 0 && r.loaded.isDone())
              .min(Comparator.comparingLong(r -> r.lastUse))
              .orElseThrow(
                  () ->
                      new EngineUnavailableException(
                          "base-models-busy",
                          "every one of the "
                              + properties.maxResidentModels()
                              + " resident base models is in use"
                              + " (platform.serving.engine.max-resident-models): retry later"));
      victim.unloaded = new CompletableFuture<>();
      victims.add(victim);
      held--;
    }
    return victims;
  }

  private void unload(Resident victim) {
    try {
      // a victim is loaded and idle (makeRoom): closing its batcher drains nothing
      ServedModel model = victim.loaded.getNow(null);
      if (model != null) {
        model.close();
      }
      log.info("base model unloaded: name={} reason=resident-limit", victim.name);
    } catch (RuntimeException e) {
      // the request that made room goes on: its own model matters more than a clean unload
      log.warn("base model unload failed: name={} reason={}", victim.name, e.toString());
    } finally {
      try {
        delete(victim.dir);
        // before a reload can start: a device place of the old pool must never look loaded
        onUnload.accept(victim.name);
      } finally {
        synchronized (this) {
          models.remove(victim.name, victim);
        }
        victim.unloaded.complete(null);
      }
    }
  }

  private void load(Resident resident, String token) {
    try {
      ServedModel model = start(resident.name, token, resident.dir);
      loads.merge(resident.name, 1L, Long::sum);
      boolean late;
      synchronized (this) {
        late = closed;
      }
      if (late) {
        model.close();
        throw new EngineUnavailableException("shutting-down", "the server is shutting down");
      }
      resident.loaded.complete(model);
    } catch (RuntimeException e) {
      synchronized (this) {
        // a failed load is not remembered: the next request tries again
        if (!resident.pinned) {
          models.remove(resident.name, resident);
        }
      }
      delete(resident.dir);
      resident.loaded.completeExceptionally(e);
    }
  }

  private synchronized void release(Resident resident) {
    resident.users--;
    inFlight--;
    resident.lastUse = ++ticks;
    notifyAll();
  }

  /**
   * Loads and warms up every pinned base model on a thread of its own, one after the other, trying
   * a failed one again after {@code platform.serving.engine.load-retry} until it loads or the
   * server stops. Call it once the registry answers (in one JVM the registry is this server).
   *
   * @param token the service's own registry token
   */
  public synchronized void loadPinned(Supplier<String> token) {
    if (pinned.isEmpty() || pinnedLoader != null || closed) {
      return;
    }
    pinnedLoader =
        Thread.ofPlatform()
            .name("base-model-pinned-load")
            .daemon()
            .start(
                () -> {
                  for (String name : pinned) {
                    while (!loadPinnedOnce(name, token)) {
                      try {
                        Thread.sleep(properties.loadRetry());
                      } catch (InterruptedException e) {
                        return;
                      }
                    }
                  }
                  log.info("pinned base models ready: names={}", pinned);
                });
  }

  private boolean loadPinnedOnce(String name, Supplier<String> token) {
    Resident resident;
    synchronized (this) {
      if (closed) {
        return true;
      }
      resident = models.get(name);
    }
    if (resident.loaded.isDone()) {
      return true;
    }
    try {
      ServedModel model = start(name, token.get(), resident.dir);
      loads.merge(name, 1L, Long::sum);
      boolean late;
      synchronized (this) {
        late = closed;
        if (!late) {
          resident.loaded.complete(model);
        }
      }
      if (late) {
        model.close();
      }
      return true;
    } catch (RuntimeException e) {
      log.warn(
          "pinned base model failed to load, retrying: name={} retryIn={} reason={}",
          name,
          properties.loadRetry(),
          e.toString());
      return false;
    }
  }

  private ServedModel start(String name, String token, Path into) {
    long started = System.nanoTime();
    Path dir = files.fetch(name, token, into);
    BaseModel model = ModelDirectory.load(dir, Devices.fromSystemProperty());
    ContinuousBatcher batcher = null;
    HuggingFaceTokenizer tokenizer = null;
    try {
      tokenizer = tokenizer(dir);
      OptionalInt eos = eosId(dir);
      PoolLayout layout =
          new PoolLayout(
              pool.loraPlaces(),
              pool.maxRank(),
              pool.mixPlaces(),
              pool.maxExperts(),
              pool.maxTopK(),
              PoolStorage.FP32);
      BatcherSettings settings =
          BatcherSettings.defaults()
              .withMaxRows(properties.maxRows())
              .withQueueCapacity(properties.queueCapacity())
              .withWarmUpRounds(properties.warmUpRounds())
              .withDefaultTimeout(properties.timeout());
      batcher = ContinuousBatcher.start(model, layout, settings);
      // the HostKernels warm-up at the served batch sizes: a model is served only after it
      batcher.ready().exceptionally(e -> null).join();
      log.info(
          "base model served: name={} vocab={} tokenizer={} ms={}",
          name,
          model.dims().vocabSize(),
          tokenizer != null,
          (System.nanoTime() - started) / 1_000_000);
      return new ServedModel(name, model, batcher, Optional.ofNullable(tokenizer), eos);
    } catch (RuntimeException e) {
      if (batcher != null) {
        batcher.close();
      }
      if (tokenizer != null) {
        tokenizer.close();
      }
      model.close();
      throw e;
    }
  }

  private static HuggingFaceTokenizer tokenizer(Path dir) {
    Path file = dir.resolve("tokenizer.json");
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      // as engine-tools reads a prompt: the text's own tokens, no special tokens added
      return HuggingFaceTokenizer.builder()
          .optTokenizerPath(file)
          .optAddSpecialTokens(false)
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  // config.json's eos_token_id: a number or a list of numbers (the first)
  private static OptionalInt eosId(Path dir) {
    try {
      JsonObject o =
          JsonParser.parseString(
                  Files.readString(dir.resolve(ModelDirectory.CONFIG_FILE), StandardCharsets.UTF_8))
              .getAsJsonObject();
      JsonElement e = o.get("eos_token_id");
      if (e != null && e.isJsonArray() && !e.getAsJsonArray().isEmpty()) {
        e = e.getAsJsonArray().get(0);
      }
      if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
        return OptionalInt.empty();
      }
      return OptionalInt.of(e.getAsInt());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the config of " + dir, e);
    }
  }

  /** The device write of a server with one base model resident; otherwise name the model. */
  @Override
  public CompletableFuture<Void> betweenSteps(Consumer<AdapterPool> mutation) {
    List<Resident> held = models.values().stream().filter(r -> r.unloaded == null).toList();
    if (held.size() != 1) {
      return CompletableFuture.failedFuture(
          unavailable(
              held.isEmpty()
                  ? "no base model is served yet: adapters load with the first request"
                  : "several base models are served: name the adapter's base model"));
    }
    return betweenSteps(held.getFirst().name, mutation);
  }

  /**
   * Runs {@code mutation} between the steps of {@code baseModel}'s batcher; while a pinned model
   * (or one a request is loading) is still loading, once it is loaded.
   */
  @Override
  public CompletableFuture<Void> betweenSteps(String baseModel, Consumer<AdapterPool> mutation) {
    Resident resident = models.get(baseModel);
    if (resident == null || resident.unloaded != null) {
      return CompletableFuture.failedFuture(
          unavailable(
              "base model '"
                  + baseModel
                  + "' is not loaded on this server: its adapters load with its first request"));
    }
    return resident.loaded.thenCompose(model -> model.batcher().betweenSteps(mutation));
  }

  private static ApiException unavailable(String detail) {
    return new ApiException(
        HttpStatus.SERVICE_UNAVAILABLE, "no-device-pool", "Service unavailable", detail, List.of());
  }

  // ---- lifecycle: drain first, then the web server's graceful shutdown, then close()

  // a stopped engine can be started again (a paused test context, a context restart): it serves
  // again
  @Override
  public void start() {
    synchronized (this) {
      draining = false;
    }
    running = true;
  }

  @Override
  public void stop() {
    drain();
  }

  @Override
  public void stop(Runnable callback) {
    synchronized (this) {
      draining = true;
    }
    Thread.ofPlatform()
        .name("serving-drain")
        .daemon()
        .start(
            () -> {
              try {
                drain();
              } finally {
                callback.run();
              }
            });
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  // before the web server's graceful shutdown (a lower phase), so that requests arriving while
  // in-flight ones finish are still answered: with 503 and Retry-After
  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE;
  }

  /** Refuses new requests and waits until the in-flight ones end or the drain timeout passes. */
  void drain() {
    long deadline = System.nanoTime() + properties.drainTimeout().toNanos();
    synchronized (this) {
      draining = true;
      log.info("draining: inFlight={} timeout={}", inFlight, properties.drainTimeout());
      while (inFlight > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          log.warn("drain timed out: inFlight={}", inFlight);
          break;
        }
        try {
          wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      running = false;
    }
  }

  /** Lets every accepted request finish, then frees the models. */
  @Override
  public void close() {
    List<Resident> toClose;
    Thread loader;
    synchronized (this) {
      closed = true;
      running = false;
      toClose = List.copyOf(models.values());
      models.clear();
      loader = pinnedLoader;
    }
    if (loader != null) {
      loader.interrupt();
    }
    for (Resident r : toClose) {
      ServedModel m = r.loaded.getNow(null);
      if (m != null) {
        m.close();
      } else if (!r.loaded.isDone()) {
        r.loaded.completeExceptionally(
            new EngineUnavailableException("shutting-down", "the server is shutting down"));
      }
    }
    delete(root);
  }

  private static void delete(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // a leftover temporary directory costs disk only
    }
  }
}
