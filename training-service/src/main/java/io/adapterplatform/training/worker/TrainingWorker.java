package io.adapterplatform.training.worker;

import io.adapterplatform.engine.model.Devices;
import io.adapterplatform.engine.model.ModelDirectory;
import io.adapterplatform.training.job.JobLeases;
import io.adapterplatform.training.job.JobReports;
import io.adapterplatform.training.job.JobState;
import io.adapterplatform.training.registry.WorkerRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker: a thread that claims jobs (leases in PostgreSQL), keeps one {@link FusedRunner} per
 * loaded base model, steps them, and reports; a second thread renews its leases. Jobs come from the
 * table, not from Kafka: a {@code training.jobs} event only wakes the worker early, so a lost or
 * unconsumed event delays a job by at most {@code poll-interval}, and a job whose worker died (its
 * lease ran out) is taken up by whichever worker looks next.
 */
public final class TrainingWorker {

  private static final Logger log = LoggerFactory.getLogger(TrainingWorker.class);

  /** How often the stepping thread looks for cancelled jobs (a step boundary at most this late). */
  private static final Duration CANCEL_CHECK = Duration.ofMillis(200);

  private final String id;
  private final WorkerSettings settings;
  private final JobLeases leases;
  private final JobReports reports;
  private final WorkerRegistry registry;
  private final JobPlanner planner;
  private final JobPublisher publisher;
  private final CheckpointStore store;
  private final Path workDir;
  private final JobLanes lanes;
  private final JobWrites writes;
  private final JobClocks clocks = new JobClocks();

  // the stepping thread's
  private final Map<String, Runner> runners = new ConcurrentHashMap<>();
  private Instant lastCancelCheck = Instant.EPOCH;
  // jobs this worker holds, read by the heartbeat thread too
  private final Map<UUID, Held> held = new ConcurrentHashMap<>();
  // leases to renew: from the claim on, so that loading a base model never lets one run out
  private final Set<UUID> leased = ConcurrentHashMap.newKeySet();

  private final Object signal = new Object();
  private boolean woken;
  private volatile boolean stopping;
  private volatile boolean killed;
  private Thread thread;
  private ScheduledExecutorService heartbeat;

  private record Runner(LoadedModel model, FusedRunner runner, Instant firstStep) {}

  /** When each loaded base model last ran out of jobs; absent while it has some. */
  private final Map<String, Instant> idleSince = new HashMap<>();

  private record Held(JobPlanner.Planned planned, LoadedModel model, long startedNanos) {}

  TrainingWorker(
      String id,
      WorkerSettings settings,
      JobLeases leases,
      JobReports reports,
      WorkerRegistry registry,
      JobPlanner planner,
      JobPublisher publisher,
      CheckpointStore objects,
      Path workDir) {
    this.id = id;
    this.settings = settings;
    this.leases = leases;
    this.reports = reports;
    this.registry = registry;
    this.planner = planner;
    this.publisher = publisher;
    this.lanes = new JobLanes(id, settings.worker().writeThreads());
    this.writes =
        new JobWrites(
            lanes, settings.worker().stepRowsInterval(), this::writeSteps, System::nanoTime);
    this.store =
        new RecordingCheckpointStore(
            objects, reports, () -> killed, writes, clocks, workDir.resolve(id).resolve("scratch"));
    this.workDir = workDir.resolve(id);
  }

  public String id() {
    return id;
  }

  /** Ids of the jobs this worker holds now. */
  public Set<UUID> jobs() {
    return Set.copyOf(leased);
  }

  /**
   * Where the job's time went on this worker: its last attempt here, while it runs and for a while
   * after it ended; empty for a job this worker never held.
   */
  public java.util.Optional<JobTimings> timings(UUID job) {
    return clocks.of(job);
  }

  /** Whether its stepping thread still runs (neither stopped nor killed). */
  public boolean isRunning() {
    Thread t = thread;
    return t != null && t.isAlive() && !stopping && !killed;
  }

  private void forget(UUID job) {
    held.remove(job);
    leased.remove(job);
    writes.forget(job);
    clocks.forget(job);
  }

  /** In the job's lane: the steps gathered by {@link JobWrites}, in one transaction. */
  private void writeSteps(UUID job, List<JobReports.Step> steps) {
    if (killed) {
      return;
    }
    long start = System.nanoTime();
    boolean mine = reports.steps(job, id, steps);
    clocks.add(job, JobTimings.Phase.STEP_REPORTS, System.nanoTime() - start);
    if (!mine) {
      drop(job);
    }
  }

  synchronized void start() {
    if (thread != null) {
      throw new IllegalStateException("worker " + id + " was started already");
    }
    heartbeat =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("training-heartbeat-" + id).daemon().factory());
    long every = settings.worker().heartbeat().toMillis();
    heartbeat.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
    thread = Thread.ofPlatform().name("training-worker-" + id).daemon().start(this::loop);
    log.info("training worker started: worker={}", id);
  }

  /** Looks for jobs now rather than at the next poll (a job was queued). */
  public void wake() {
    synchronized (signal) {
      woken = true;
      signal.notifyAll();
    }
  }

  /**
   * Stops at the next step boundary: every running job is checkpointed and its lease released, so
   * that another worker resumes it at once.
   */
  public void stop() {
    stopping = true;
    wake();
    join();
    if (heartbeat != null) {
      heartbeat.shutdownNow();
    }
    log.info("training worker stopped: worker={}", id);
  }

  /**
   * Stops as a crash would: no checkpoint, no release, no further write. Its jobs wait for their
   * leases to run out, then another worker resumes them from their last checkpoint.
   */
  public void kill() {
    killed = true;
    if (heartbeat != null) {
      heartbeat.shutdownNow();
    }
    wake();
    join();
    log.info("training worker killed: worker={}", id);
  }

  private void join() {
    Thread t = thread;
    if (t != null && t != Thread.currentThread()) {
      try {
        t.join(Duration.ofMinutes(2));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void loop() {
    while (!stopping && !killed) {
      try {
        claim();
        cancelLost();
        boolean stepped = false;
        Instant now = Instant.now();
        Duration wait = settings.worker().pollInterval();
        for (Runner r : List.copyOf(runners.values())) {
          if (stopping || killed) {
            break;
          }
          if (now.isBefore(r.firstStep())) {
            wait = min(wait, Duration.between(now, r.firstStep()));
            continue;
          }
          stepped |= r.runner().runStep() > 0;
        }
        closeIdleRunners();
        if (!stepped) {
          pause(wait);
        }
      } catch (RuntimeException e) {
        log.warn("training worker loop failed: worker={}", id, e);
        pause(settings.worker().pollInterval());
      }
    }
    if (killed) {
      lanes.shutdownNow();
      runners.values().forEach(r -> r.runner().abandon());
    } else {
      runners.values().forEach(r -> r.runner().close());
      writes.writeAllSteps();
      // The checkpoints just taken, and the publications under way, land before the leases go.
      lanes.drain(Duration.ofMinutes(2));
      lanes.shutdown();
      for (UUID job : List.copyOf(leased)) {
        leases.release(job, id, null);
        forget(job);
      }
    }
    runners.values().forEach(r -> r.model().close());
    runners.clear();
  }

  private void claim() {
    var free = new HashMap<String, Integer>();
    runners.forEach((name, r) -> free.put(name, r.runner().maxFusedJobs() - r.runner().jobs()));
    // an idle model still loaded gives its place to a model that has work
    int newModels = Math.max(0, settings.worker().maxBaseModels() - busyRunners());
    var room = new JobLeases.Room(free, newModels, settings.maxFusedJobs());
    if (newModels == 0 && free.values().stream().allMatch(f -> f <= 0)) {
      return;
    }
    long claimStart = System.nanoTime();
    List<JobLeases.Claimed> claimed =
        leases.claim(id, room, settings.worker().lease(), settings.maxAttempts());
    long claimNanos = System.nanoTime() - claimStart;
    Instant claimedAt = Instant.now();
    claimed.forEach(c -> leased.add(c.id()));
    for (JobLeases.Claimed c : claimed) {
      if (killed) {
        return;
      }
      if (held.containsKey(c.id())) {
        // Its lease ran out while this worker still trains it, and this worker took it again.
        continue;
      }
      clocks.claimed(c.id(), claimedAt, claimNanos);
      try {
        admit(c);
      } catch (RuntimeException e) {
        log.warn("job could not start: jobId={} worker={}", c.id(), id, e);
        forget(c.id());
        leases.release(c.id(), id, reason(e));
      }
    }
  }

  private void admit(JobLeases.Claimed c) {
    Runner runner = runners.get(c.baseModel());
    if (runner == null) {
      long loadStart = System.nanoTime();
      makeRoomForAModel();
      runner = open(c.baseModel());
      runners.put(c.baseModel(), runner);
      clocks.add(c.id(), JobTimings.Phase.MODEL_LOAD, System.nanoTime() - loadStart);
    }
    long planStart = System.nanoTime();
    var planned = planner.plan(c, runner.model(), workDir);
    clocks.add(c.id(), JobTimings.Phase.PLAN, System.nanoTime() - planStart);
    Held h = new Held(planned, runner.model(), System.nanoTime());
    held.put(c.id(), h);
    if (c.result() != null) {
      // An earlier attempt published and recorded it, then died before SUCCEEDED: finish that.
      writes.run(c.id(), () -> complete(h, c.result().adapter(), c.result().version(), null));
      return;
    }
    boolean idle = runner.runner().jobs() == 0;
    if (!runner.runner().admit(planned.job())) {
      throw new IllegalStateException("the runner of " + c.baseModel() + " is full");
    }
    clocks.admitted(c.id());
    Instant now = Instant.now();
    if (runner.runner().jobs() >= runner.runner().maxFusedJobs()) {
      if (now.isBefore(runner.firstStep())) {
        // Nobody else could join it: the fuse window would be a wait for nothing.
        runners.put(c.baseModel(), new Runner(runner.model(), runner.runner(), now));
      }
    } else if (idle && !runner.firstStep().isAfter(now)) {
      // A new group on a model kept loaded: it waits for the jobs submitted with it, as on a
      // model just loaded.
      runners.put(
          c.baseModel(),
          new Runner(runner.model(), runner.runner(), now.plus(settings.worker().fuseWindow())));
    }
  }

  private Runner open(String baseModel) {
    var files = registry.baseModel(baseModel, workDir.resolve("models").resolve(baseModel));
    var model = ModelDirectory.load(files.dir(), Devices.fromSystemProperty());
    LoadedModel loaded;
    try {
      loaded =
          new LoadedModel(
              baseModel,
              files.dir(),
              files.sha256(),
              ModelDirectory.config(files.dir()),
              model,
              DatasetTokenizer.open(files.dir()));
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
    var runner =
        new FusedRunner(
            model,
            baseModel,
            settings.maxFusedJobs(),
            store,
            workDir.resolve("exports"),
            new Listener(loaded));
    log.info("base model loaded: baseModel={} worker={}", baseModel, id);
    return new Runner(loaded, runner, Instant.now().plus(settings.worker().fuseWindow()));
  }

  private void closeIdleRunners() {
    Instant now = Instant.now();
    for (var it = runners.entrySet().iterator(); it.hasNext(); ) {
      var entry = it.next();
      if (entry.getValue().runner().jobs() > 0) {
        idleSince.remove(entry.getKey());
        continue;
      }
      Instant since = idleSince.computeIfAbsent(entry.getKey(), k -> now);
      if (!since.plus(settings.worker().idleModelLinger()).isAfter(now)) {
        unload(entry.getValue());
        it.remove();
      }
    }
  }

  private int busyRunners() {
    return (int) runners.values().stream().filter(r -> r.runner().jobs() > 0).count();
  }

  /** Unloads the longest idle model when every place is taken. */
  private void makeRoomForAModel() {
    if (runners.size() < settings.worker().maxBaseModels()) {
      return;
    }
    runners.entrySet().stream()
        .filter(e -> e.getValue().runner().jobs() == 0)
        .min(Map.Entry.comparingByKey(Comparator.comparing(this::idleSince)))
        .map(Map.Entry::getKey)
        .ifPresent(name -> unload(runners.remove(name)));
  }

  private Instant idleSince(String baseModel) {
    return idleSince.getOrDefault(baseModel, Instant.MAX);
  }

  private void unload(Runner r) {
    idleSince.remove(r.model().name());
    r.runner().close();
    r.model().close();
    log.info("base model unloaded: baseModel={} worker={}", r.model().name(), id);
  }

  /** Cancelled jobs leave their runner at the next step boundary. */
  private void cancelLost() {
    Instant now = Instant.now();
    if (held.isEmpty() || Duration.between(lastCancelCheck, now).compareTo(CANCEL_CHECK) < 0) {
      return;
    }
    lastCancelCheck = now;
    for (UUID job : held.keySet()) {
      if (!leases.holds(job, id)) {
        drop(job);
      }
    }
  }

  private void renew() {
    if (killed) {
      return;
    }
    try {
      leases.renew(id, Set.copyOf(leased), settings.worker().lease()).forEach(this::drop);
    } catch (RuntimeException e) {
      log.warn("heartbeat failed: worker={}", id, e);
    }
  }

  /** The job is no longer this worker's (cancelled, or taken over): it leaves its runner. */
  private void drop(UUID job) {
    Held h = held.get(job);
    Runner r = h == null ? null : runners.get(h.model().name());
    if (r != null) {
      r.runner().cancel(job.toString());
    } else {
      forget(job);
    }
  }

  /**
   * Alias, SUCCEEDED, then the checkpoints go: in the job's lane, after its publication. {@code
   * trained} is null when an earlier attempt trained and published the job.
   */
  private void complete(Held h, String adapter, int version, @Nullable JobResult trained) {
    if (killed) {
      return;
    }
    var planned = h.planned();
    UUID job = planned.claimed().id();
    String alias = planned.claimed().spec().output().alias();
    if (alias != null) {
      long aliasStart = System.nanoTime();
      registry.moveAlias(adapter, alias, version);
      clocks.add(job, JobTimings.Phase.ALIAS, System.nanoTime() - aliasStart);
    }
    if (killed) {
      return;
    }
    long finishStart = System.nanoTime();
    if (reports.succeeded(job, planned.claimed().baseModel())) {
      store.deleteAll(job.toString());
    }
    clocks.add(job, JobTimings.Phase.FINISH, System.nanoTime() - finishStart);
    JobTimings timings = clocks.finish(job);
    held.remove(job);
    leased.remove(job);
    // From this worker's claim: what the job cost here, fused partners' steps included.
    Double seconds =
        timings == null
            ? null
            : Duration.between(timings.claimedAt(), Instant.now()).toMillis() / 1000.0;
    if (trained == null) {
      log.info("job succeeded: jobId={} published by an earlier attempt seconds={}", job, seconds);
    } else {
      log.info(
          "job succeeded: jobId={} steps={} loss={} seconds={}",
          job,
          trained.steps(),
          trained.finalLoss(),
          seconds);
    }
    // The phases are for the one tuning the worker; on INFO they drowned the line above.
    log.debug(
        "job succeeded: jobId={} adapter={} version={} worker={} timings={}",
        job,
        adapter,
        version,
        id,
        timings == null ? Map.of() : timings.phases());
  }

  private static String reason(RuntimeException e) {
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : m;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private void pause(Duration d) {
    synchronized (signal) {
      if (!woken && !stopping && !killed) {
        try {
          signal.wait(Math.max(1, d.toMillis()));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          stopping = true;
        }
      }
      woken = false;
    }
  }

  /** Turns one runner's callbacks into job-table writes, on the stepping thread. */
  private final class Listener implements RunnerListener {

    private final LoadedModel model;

    Listener(LoadedModel model) {
      this.model = model;
    }

    @Override
    public void onProgress(JobProgress p) {
      if (killed) {
        return;
      }
      UUID job = UUID.fromString(p.jobId());
      Held h = held.get(job);
      Instant eta = null;
      if (h != null && p.step() > 0) {
        double perStep = (System.nanoTime() - h.startedNanos()) / 1e9 / p.step();
        eta = Instant.now().plusMillis((long) (perStep * (p.totalSteps() - p.step()) * 1000));
      }
      var step =
          new JobReports.Step(
              p.step(),
              p.totalSteps(),
              p.loss(),
              p.auxLoss(),
              p.learningRate(),
              p.gradNorm(),
              p.tokensPerSecond(),
              p.fusedWith(),
              eta);
      writes.step(job, step);
    }

    @Override
    public void onEval(String jobId, int step, double evalLoss) {
      UUID job = UUID.fromString(jobId);
      writes.run(
          job,
          () -> {
            if (!killed) {
              reports.eval(job, step, evalLoss);
            }
          });
    }

    @Override
    public void onPhase(String jobId, JobTimings.Phase phase, long nanos) {
      UUID job = UUID.fromString(jobId);
      if (phase == JobTimings.Phase.STEPS) {
        clocks.stepped(job, nanos);
      } else {
        clocks.add(job, phase, nanos);
      }
    }

    @Override
    public void onResumed(String jobId, int step) {
      log.info("job resumed from its checkpoint: jobId={} step={} worker={}", jobId, step, id);
    }

    @Override
    public void onFinished(JobResult result) {
      if (killed) {
        return;
      }
      UUID job = UUID.fromString(result.jobId());
      Held h = held.get(job);
      if (h == null) {
        return;
      }
      long exported = System.nanoTime();
      // The next fused step goes on meanwhile; the lane keeps the order result, alias, SUCCEEDED,
      // deleted checkpoints. Until SUCCEEDED the lease is renewed and the checkpoints stay, so a
      // crash in between resumes the job from its last checkpoint and the registry's idempotency
      // key gives back the version already made.
      writes.run(job, () -> publish(h, result, exported));
    }

    private void publish(Held h, JobResult result, long exported) {
      UUID job = h.planned().claimed().id();
      if (killed) {
        return;
      }
      long start = System.nanoTime();
      clocks.add(job, JobTimings.Phase.PUBLISH_WAIT, start - exported);
      try {
        if (result.evalLoss().isPresent()) {
          reports.eval(job, result.steps(), result.evalLoss().getAsDouble());
        }
        var published = publisher.publish(h.planned(), model, result, reports.metrics(job));
        Double evalLoss = result.evalLoss().isPresent() ? result.evalLoss().getAsDouble() : null;
        if (killed) {
          return;
        }
        if (!reports.published(
            job, id, published.adapter(), published.version(), result.finalLoss(), evalLoss)) {
          forget(job);
          return;
        }
        clocks.add(job, JobTimings.Phase.PUBLISH, System.nanoTime() - start);
        complete(h, published.adapter(), published.version(), result);
      } catch (RuntimeException e) {
        if (killed) {
          return;
        }
        log.warn("job could not be published: jobId={} worker={}", job, id, e);
        forget(job);
        leases.release(job, id, "publishing failed: " + reason(e));
      }
    }

    @Override
    public void onCancelled(String jobId) {
      if (killed) {
        return;
      }
      UUID job = UUID.fromString(jobId);
      writes.run(
          job,
          () -> {
            if (killed) {
              return;
            }
            if (reports.state(job) == JobState.CANCELLED) {
              store.deleteAll(jobId);
              log.info("job cancelled, nothing published: jobId={} worker={}", jobId, id);
            }
            forget(job);
          });
    }

    @Override
    public void onFailed(String jobId, RuntimeException cause) {
      if (killed) {
        return;
      }
      UUID job = UUID.fromString(jobId);
      writes.run(
          job,
          () -> {
            if (killed) {
              return;
            }
            forget(job);
            leases.release(job, id, reason(cause));
          });
    }
  }
}
