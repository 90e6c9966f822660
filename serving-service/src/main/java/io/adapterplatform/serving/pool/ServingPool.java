package io.adapterplatform.serving.pool;

import io.adapterplatform.engine.adapter.AdapterCheckpoint;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.adapter.Dora;
import io.adapterplatform.engine.adapter.Lora;
import io.adapterplatform.engine.adapter.LoraPair;
import io.adapterplatform.engine.adapter.MixLora;
import io.adapterplatform.engine.format.AdapterKind;
import io.adapterplatform.engine.format.FormatException;
import io.adapterplatform.serving.models.AdapterKey;
import io.adapterplatform.serving.models.ResolvedAdapter;
import io.adapterplatform.serving.models.ResolvedModel;
import io.adapterplatform.web.problem.ApiException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;

/**
 * The three-tier adapter pool: files on local disk (fetched from the registry, sha256 verified),
 * parsed weights in host memory, and places of the engine's reserved {@code AdapterPool} on the
 * device, each tier LRU within its capacity. Requests take a {@link AdapterLease} on a version; a
 * leased or pinned version is never evicted from the device, so its slot keeps its weights until
 * every lease is closed.
 *
 * <p>Concurrent first requests for one version share one load (one future per version). Loads run
 * on their own threads; the device write is handed to the scheduler through {@link PoolWriter},
 * which runs it between steps, so a load never blocks the decoding of other requests. Mutations are
 * submitted to the writer in the order the pool decides them (a cleared place before the load that
 * reuses it): the writer must run them in submission order.
 */
public final class ServingPool implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ServingPool.class);

  private final PoolProperties properties;
  private final AdapterFiles files;
  private final Supplier<PoolWriter> writer;
  private final ExecutorService loads;
  private final Clock clock;
  private final Timer loadTimer;
  private final LruTier<Path> disk;
  private final LruTier<AdapterWeights> host;
  private final LruTier<Integer> loraPlaces;
  private final LruTier<Integer> mixPlaces;
  private final Deque<Integer> freeLora = new ArrayDeque<>();
  private final Deque<Integer> freeMix = new ArrayDeque<>();
  private final Map<AdapterKey, Entry> entries = new HashMap<>();

  private static final class Entry {
    final AdapterKey key;
    final AdapterKind kind;
    final String baseModel;
    CompletableFuture<Integer> device;
    int slot = -1;
    int leases;
    boolean loading;
    boolean pinned;
    boolean dropped;
    long hits;
    Instant lastUse;
    Duration loadTime;

    Entry(ResolvedAdapter adapter) {
      this.key = adapter.key();
      this.kind = adapter.kind();
      this.baseModel = adapter.baseModel();
    }
  }

  ServingPool(
      PoolProperties properties,
      AdapterFiles files,
      Supplier<PoolWriter> writer,
      ExecutorService loads,
      Clock clock,
      MeterRegistry meters) {
    this.properties = properties;
    this.files = files;
    this.writer = writer;
    this.loads = loads;
    this.clock = clock;
    this.disk = new LruTier<>(Tier.DISK, "files", properties.diskBytes(), meters);
    this.host = new LruTier<>(Tier.HOST, "weights", properties.hostBytes(), meters);
    this.loraPlaces = new LruTier<>(Tier.DEVICE, "lora", properties.loraPlaces(), meters);
    this.mixPlaces = new LruTier<>(Tier.DEVICE, "mixlora", properties.mixPlaces(), meters);
    for (int i = 0; i < properties.loraPlaces(); i++) {
      freeLora.add(i);
    }
    for (int i = 0; i < properties.mixPlaces(); i++) {
      freeMix.add(properties.loraPlaces() + i);
    }
    this.loadTimer =
        Timer.builder("serving.pool.loads")
            .description("loads of an adapter version onto the device, from wherever it was")
            .serviceLevelObjectives(
                Duration.ofMillis(10),
                Duration.ofMillis(50),
                Duration.ofMillis(100),
                Duration.ofMillis(250),
                Duration.ofMillis(500),
                Duration.ofSeconds(1),
                Duration.ofSeconds(2),
                Duration.ofSeconds(5),
                Duration.ofSeconds(10),
                Duration.ofSeconds(30))
            .register(meters);
  }

  /**
   * A lease on {@code model}, loading it first when needed (blocking the calling request thread,
   * never a step). The base model needs nothing: its lease has slot -1.
   *
   * @param token the caller's token, forwarded to the registry if files must be fetched
   */
  public AdapterLease acquire(ResolvedModel model, String token) {
    if (!(model instanceof ResolvedAdapter adapter)) {
      return AdapterLease.baseModel();
    }
    try {
      return acquireAsync(adapter, token).join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw e;
    }
  }

  /** As {@link #acquire}, completing when the version is on the device. */
  public CompletableFuture<AdapterLease> acquireAsync(ResolvedAdapter adapter, String token) {
    checkFits(adapter);
    Entry entry;
    CompletableFuture<Integer> device;
    boolean start = false;
    synchronized (this) {
      entry = entries.computeIfAbsent(adapter.key(), k -> new Entry(adapter));
      entry.leases++;
      entry.hits++;
      entry.lastUse = clock.instant();
      if (entry.device == null) {
        places(entry).lookup(entry.key); // a miss
        entry.device = new CompletableFuture<>();
        entry.loading = true;
        start = true;
      } else if (entry.device.isDone()) {
        places(entry).lookup(entry.key); // a hit, now the most recently used
      }
      device = entry.device;
    }
    if (start) {
      CompletableFuture<Integer> loading = device;
      loads.execute(() -> load(entry, adapter, token, loading));
    }
    return device.handle(
        (slot, failure) -> {
          if (failure != null) {
            release(entry);
            throw failure instanceof CompletionException c ? c : new CompletionException(failure);
          }
          return new AdapterLease(Optional.of(entry.key), slot, () -> release(entry));
        });
  }

  private void checkFits(ResolvedAdapter adapter) {
    if (adapter.rank() > properties.maxRank()) {
      throw ApiException.unprocessable(
          "adapter-does-not-fit",
          adapter.key()
              + " has rank "
              + adapter.rank()
              + ", this pool takes up to "
              + properties.maxRank()
              + " (platform.serving.pool.max-rank)",
          List.of());
    }
    if (adapter.kind() == AdapterKind.MIXLORA && properties.mixPlaces() == 0) {
      throw ApiException.unprocessable(
          "adapter-does-not-fit",
          adapter.key()
              + " is a MixLoRA adapter and this pool has no MixLoRA places"
              + " (platform.serving.pool.mix-places)",
          List.of());
    }
  }

  private void load(
      Entry entry, ResolvedAdapter adapter, String token, CompletableFuture<Integer> device) {
    long started = System.nanoTime();
    try {
      AdapterWeights weights = hostWeights(adapter, token);
      int slot = reservePlace(entry);
      try {
        writer().betweenSteps(entry.baseModel, pool -> pool.put(slot, weights)).join();
      } catch (RuntimeException e) {
        synchronized (this) {
          places(entry).remove(entry.key);
          free(entry).push(slot);
        }
        if (e instanceof CompletionException c && c.getCause() instanceof RuntimeException r) {
          throw r;
        }
        throw e;
      }
      Duration took = Duration.ofNanos(System.nanoTime() - started);
      synchronized (this) {
        entry.slot = slot;
        entry.loading = false;
        entry.loadTime = took;
      }
      loadTimer.record(took);
      log.info(
          "adapter loaded: adapter={} version={} slot={} ms={}",
          entry.key.adapter(),
          entry.key.version(),
          slot,
          took.toMillis());
      device.complete(slot);
    } catch (Throwable t) {
      synchronized (this) {
        entry.loading = false;
        if (entry.device == device) {
          entry.device = null;
        }
      }
      log.warn(
          "adapter load failed: adapter={} version={} reason={}",
          entry.key.adapter(),
          entry.key.version(),
          t.toString());
      device.completeExceptionally(asProblem(entry.key, t));
    }
  }

  private static Throwable asProblem(AdapterKey key, Throwable t) {
    return switch (t) {
      case ApiException e -> e;
      case FormatException e ->
          new ApiException(
              HttpStatus.BAD_GATEWAY,
              "adapter-unreadable",
              "Bad gateway",
              key + " cannot be read: " + e.getMessage(),
              List.of());
      case IllegalArgumentException e ->
          ApiException.unprocessable(
              "adapter-does-not-fit", key + " does not fit the pool: " + e.getMessage(), List.of());
      default -> t;
    };
  }

  private AdapterWeights hostWeights(ResolvedAdapter adapter, String token) {
    AdapterKey key = adapter.key();
    Path dir;
    synchronized (this) {
      Optional<AdapterWeights> held = host.lookup(key);
      if (held.isPresent()) {
        return held.get();
      }
      dir = disk.lookup(key).orElse(null);
    }
    if (dir == null) {
      Path fetched = files.fetch(adapter, token);
      synchronized (this) {
        var evicted = disk.makeRoom(adapter.fileBytes(), k -> evictable(k, Tier.DISK)).orElse(null);
        if (evicted == null) {
          files.delete(fetched);
          throw full(Tier.DISK, key);
        }
        evicted.forEach(
            e -> afterEviction(e.getKey(), Tier.DISK, () -> files.delete(e.getValue())));
        disk.put(key, fetched, adapter.fileBytes());
      }
      dir = fetched;
    }
    AdapterWeights weights =
        AdapterCheckpoint.read(dir, files.baseConfig(adapter.baseModel(), token)).weights();
    long bytes = weightBytes(weights);
    synchronized (this) {
      var evicted = host.makeRoom(bytes, k -> evictable(k, Tier.HOST)).orElse(null);
      if (evicted == null) {
        throw full(Tier.HOST, key);
      }
      evicted.forEach(e -> afterEviction(e.getKey(), Tier.HOST, () -> {}));
      host.put(key, weights, bytes);
    }
    return weights;
  }

  // under the lock: a free place of the entry's kind, or the least recently used one whose
  // adapter is neither leased nor pinned (its weights stay until the new ones overwrite them)
  private synchronized int reservePlace(Entry entry) {
    LruTier<Integer> places = places(entry);
    var evicted = places.makeRoom(1, k -> evictable(k, Tier.DEVICE)).orElse(null);
    if (evicted == null) {
      throw full(Tier.DEVICE, entry.key);
    }
    for (var e : evicted) {
      free(entry).push(e.getValue());
      Entry victim = entries.get(e.getKey());
      victim.device = null;
      victim.slot = -1;
      forgetIfGone(victim);
    }
    int slot = free(entry).pop();
    places.put(entry.key, slot, 1);
    return slot;
  }

  private boolean evictable(AdapterKey key, Tier tier) {
    Entry e = entries.get(key);
    if (e == null) {
      return true;
    }
    return switch (tier) {
      case DISK -> !e.pinned && !e.loading;
      case HOST -> !e.pinned;
      case DEVICE -> !e.pinned && e.leases == 0 && !e.loading;
    };
  }

  private void afterEviction(AdapterKey key, Tier tier, Runnable cleanup) {
    cleanup.run();
    log.debug("adapter evicted: adapter={} version={} tier={}", key.adapter(), key.version(), tier);
    Entry e = entries.get(key);
    if (e != null) {
      forgetIfGone(e);
    }
  }

  private void forgetIfGone(Entry e) {
    if (e.leases == 0
        && e.device == null
        && !e.pinned
        && !disk.contains(e.key)
        && !host.contains(e.key)) {
      entries.remove(e.key);
    }
  }

  private synchronized void release(Entry entry) {
    entry.leases--;
    if (entry.leases == 0 && entry.dropped) {
      removeEverywhere(entry);
    } else {
      forgetIfGone(entry); // a failed first load leaves nothing to remember
    }
  }

  private static ApiException full(Tier tier, AdapterKey key) {
    return new ApiException(
        HttpStatus.SERVICE_UNAVAILABLE,
        "pool-full",
        "Service unavailable",
        "no room for "
            + key
            + " in the "
            + tier.tag()
            + " tier: everything there is pinned or in use (platform.serving.pool.*)",
        List.of());
  }

  private LruTier<Integer> places(Entry e) {
    return e.kind == AdapterKind.MIXLORA ? mixPlaces : loraPlaces;
  }

  private Deque<Integer> free(Entry e) {
    return e.kind == AdapterKind.MIXLORA ? freeMix : freeLora;
  }

  private PoolWriter writer() {
    PoolWriter w = writer.get();
    if (w == null) {
      throw new ApiException(
          HttpStatus.SERVICE_UNAVAILABLE,
          "no-device-pool",
          "Service unavailable",
          "this server has no device pool to load adapters into",
          List.of());
    }
    return w;
  }

  /** Pins {@code adapter}, loading it first: a pinned version is never evicted from any tier. */
  public void pin(ResolvedAdapter adapter, String token) {
    try (AdapterLease lease = acquire(adapter, token)) {
      synchronized (this) {
        entries.get(adapter.key()).pinned = true;
      }
    }
  }

  /**
   * Lets {@code key} be evicted again.
   *
   * @throws ApiException 404 when the pool does not hold it
   */
  public synchronized void unpin(AdapterKey key) {
    Entry e = entries.get(key);
    if (e == null) {
      throw ApiException.notFound("adapter " + key + " in the pool");
    }
    e.pinned = false;
    forgetIfGone(e);
  }

  /**
   * Removes {@code key} from every tier now.
   *
   * @throws ApiException 404 when the pool does not hold it, 409 while requests decode with it
   */
  public synchronized void unload(AdapterKey key) {
    Entry e = entries.get(key);
    if (e == null) {
      throw ApiException.notFound("adapter " + key + " in the pool");
    }
    if (e.leases > 0 || e.loading) {
      throw ApiException.conflict(
          "adapter-in-use", key + " is in use by " + e.leases + " request(s); retry when they end");
    }
    removeEverywhere(e);
  }

  /**
   * Forgets a version the registry deleted: at once when no request uses it, otherwise when its
   * last lease is closed (requests in flight finish on it).
   */
  public synchronized void drop(AdapterKey key) {
    Entry e = entries.get(key);
    if (e == null) {
      return;
    }
    e.dropped = true;
    e.pinned = false;
    if (e.leases == 0 && !e.loading) {
      removeEverywhere(e);
    }
  }

  // under the lock; the clear is submitted before any later load can take the place
  private void removeEverywhere(Entry e) {
    Optional<Integer> slot = places(e).remove(e.key);
    slot.ifPresent(
        s -> {
          free(e).push(s);
          PoolWriter w = writer.get();
          if (w != null) {
            w.betweenSteps(e.baseModel, pool -> pool.clear(s));
          }
        });
    disk.remove(e.key).ifPresent(files::delete);
    host.remove(e.key);
    e.device = null;
    e.slot = -1;
    e.pinned = false;
    entries.remove(e.key);
  }

  /**
   * Forgets the device places of {@code baseModel}'s adapters: the scheduler that held them has
   * unloaded that base model, and its pool with it. Their files and weights stay in the disk and
   * host tiers, so the next use after the base model is loaded again is a host-tier hit.
   */
  public synchronized void forgetDevice(String baseModel) {
    for (Entry e : List.copyOf(entries.values())) {
      if (!e.baseModel.equals(baseModel) || e.loading || e.device == null) {
        continue;
      }
      places(e).remove(e.key).ifPresent(s -> free(e).push(s));
      e.device = null;
      e.slot = -1;
      forgetIfGone(e);
    }
  }

  /** What the pool holds, most recently used first. */
  public synchronized List<LoadedAdapter> loaded() {
    List<LoadedAdapter> out = new ArrayList<>();
    for (Entry e : entries.values()) {
      List<Tier> tiers = new ArrayList<>();
      if (disk.contains(e.key)) {
        tiers.add(Tier.DISK);
      }
      if (host.contains(e.key)) {
        tiers.add(Tier.HOST);
      }
      boolean onDevice =
          e.device != null && e.device.isDone() && !e.device.isCompletedExceptionally();
      if (onDevice) {
        tiers.add(Tier.DEVICE);
      }
      out.add(
          new LoadedAdapter(
              e.key,
              tiers,
              onDevice ? e.slot : -1,
              e.hits,
              Optional.ofNullable(e.lastUse),
              Optional.ofNullable(e.loadTime),
              e.pinned,
              e.leases,
              e.dropped));
    }
    out.sort(
        Comparator.comparing(
                (LoadedAdapter a) -> a.lastUse().orElse(Instant.EPOCH), Comparator.reverseOrder())
            .thenComparing(a -> a.key().toString()));
    return out;
  }

  /** Bytes of parsed weights: what a version costs in the host tier. */
  static long weightBytes(AdapterWeights w) {
    long floats = 0;
    for (LoraPair p : w.modules().values()) {
      floats += p.a().length + p.b().length;
    }
    switch (w) {
      case Lora l -> {}
      case Dora d -> {
        for (float[] m : d.magnitudes().values()) {
          floats += m.length;
        }
      }
      case MixLora m -> {
        for (LoraPair p : m.experts().values()) {
          floats += p.a().length + p.b().length;
        }
        for (float[] r : m.routers().values()) {
          floats += r.length;
        }
      }
    }
    return floats * Float.BYTES;
  }

  @Override
  public void close() {
    loads.shutdownNow();
  }
}
