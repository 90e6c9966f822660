package io.adapterplatform.training.worker;

import ai.djl.pytorch.jni.JniUtils;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.train.AdapterExport;
import io.adapterplatform.engine.train.FusedTrainer;
import io.adapterplatform.engine.train.JobCheckpoint;
import io.adapterplatform.engine.train.StepReport;
import io.adapterplatform.engine.train.TrainingJob;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains up to {@code maxFusedJobs} jobs on one loaded base model, one fused step of all of them at
 * a time ({@link FusedTrainer}). Jobs join ({@link #admit}) and leave (finished, {@link #cancel})
 * only between steps: {@code admit} and {@code cancel} may be called from any thread and take
 * effect at the start of the next {@link #runStep()}; everything that touches the engine runs on
 * the thread that calls {@code runStep} and {@link #close}.
 *
 * <p>A job checkpoints to the {@link CheckpointStore} every {@code checkpointEvery} steps and when
 * the runner closes, and resumes from its latest stored checkpoint when admitted again (here or in
 * another runner). A job that reaches its total steps is exported ({@link AdapterExport}) to {@code
 * exportRoot/<jobId>} and leaves.
 */
public final class FusedRunner implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(FusedRunner.class);

  private final BaseModel model;
  private final String baseModelName;
  private final int maxFusedJobs;
  private final CheckpointStore checkpoints;
  private final Path exportRoot;
  private final RunnerListener listener;
  private final FusedTrainer trainer;

  private final ConcurrentLinkedQueue<WorkerJob> admitted = new ConcurrentLinkedQueue<>();
  private final Set<String> cancelled = ConcurrentHashMap.newKeySet();
  private final Set<String> claimed = ConcurrentHashMap.newKeySet();
  // runStep's thread only
  private final Map<String, Active> active = new LinkedHashMap<>();
  private boolean closed;

  private record Active(WorkerJob spec, TrainingJob job) {}

  /**
   * @param model the loaded base model every job trains on (not closed by the runner)
   * @param baseModelName the base model's name, written into each exported adapter config
   * @param maxFusedJobs the most jobs in one fused step ({@code platform.training.max-fused-jobs})
   * @param checkpoints where checkpoints go and come from
   * @param exportRoot the directory under which finished adapters are written
   * @param listener told of progress, checkpoints and every job's end
   */
  public FusedRunner(
      BaseModel model,
      String baseModelName,
      int maxFusedJobs,
      CheckpointStore checkpoints,
      Path exportRoot,
      RunnerListener listener) {
    if (maxFusedJobs <= 0) {
      throw new IllegalArgumentException("maxFusedJobs must be positive, got " + maxFusedJobs);
    }
    this.model = model;
    this.baseModelName = baseModelName;
    this.maxFusedJobs = maxFusedJobs;
    this.checkpoints = checkpoints;
    this.exportRoot = exportRoot;
    this.listener = listener;
    this.trainer = new FusedTrainer(model);
  }

  /**
   * Queues {@code job} to join at the next step boundary.
   *
   * @return false when the runner is full (active and queued jobs) or already holds a job of this
   *     id: the caller keeps the job for another runner or later
   */
  public boolean admit(WorkerJob job) {
    synchronized (claimed) {
      if (closed || claimed.size() >= maxFusedJobs || claimed.contains(job.id())) {
        return false;
      }
      claimed.add(job.id());
    }
    admitted.add(job);
    return true;
  }

  /** Removes the job at the next step boundary, without export; unknown ids are ignored. */
  public void cancel(String jobId) {
    if (claimed.contains(jobId)) {
      cancelled.add(jobId);
    }
  }

  /** Jobs in the runner or queued to join it. */
  public int jobs() {
    return claimed.size();
  }

  /** The most jobs in one fused step. */
  public int maxFusedJobs() {
    return maxFusedJobs;
  }

  /**
   * Takes in queued jobs, drops cancelled ones, then runs one fused step of every active job,
   * checkpoints those due and exports those done.
   *
   * @return the number of jobs that took a step (0 when there was nothing to run)
   */
  public int runStep() {
    boundary();
    if (active.isEmpty()) {
      return 0;
    }
    List<Active> running = List.copyOf(active.values());
    List<TrainingJob> jobs = running.stream().map(Active::job).toList();
    long start = System.nanoTime();
    List<StepReport> reports;
    try {
      reports = trainer.step(jobs);
    } catch (RuntimeException e) {
      // A fused step cannot tell whose rows broke it: every job leaves, each resumes from its
      // store.
      running.forEach(a -> fail(a, e));
      return 0;
    }
    long stepNanos = System.nanoTime() - start;
    double seconds = Math.max(1e-9, stepNanos / 1e9);
    running.forEach(a -> listener.onPhase(a.spec().id(), JobTimings.Phase.STEPS, stepNanos));
    List<String> ids = running.stream().map(a -> a.spec().id()).toList();
    for (int i = 0; i < running.size(); i++) {
      Active a = running.get(i);
      StepReport r = reports.get(i);
      int taken = a.job().optimizer().stepsTaken();
      List<String> others = ids.stream().filter(id -> !id.equals(a.spec().id())).toList();
      listener.onProgress(
          new JobProgress(
              a.spec().id(),
              taken,
              a.spec().totalSteps(),
              r.loss(),
              r.auxLoss(),
              r.learningRate(),
              r.gradNorm(),
              r.tokens() / seconds,
              others));
      try {
        if (taken >= a.spec().totalSteps()) {
          finish(a, r.loss());
          continue;
        }
        int evalEvery = a.spec().evalEvery();
        if (evalEvery > 0 && taken % evalEvery == 0 && !a.spec().evalExamples().isEmpty()) {
          long evalStart = System.nanoTime();
          double evalLoss = trainer.evalLoss(a.job(), a.spec().evalExamples());
          listener.onPhase(a.spec().id(), JobTimings.Phase.EVAL, System.nanoTime() - evalStart);
          listener.onEval(a.spec().id(), taken, evalLoss);
        }
        if (taken % a.spec().checkpointEvery() == 0) {
          checkpoint(a);
        }
      } catch (RuntimeException e) {
        fail(a, e);
      }
    }
    return running.size();
  }

  /**
   * Checkpoints every active job at its current step and releases it; queued jobs are released
   * untouched. A new runner (here or elsewhere) resumes them from the store.
   */
  @Override
  public void close() {
    synchronized (claimed) {
      closed = true;
    }
    for (Active a : List.copyOf(active.values())) {
      try {
        if (a.job().optimizer().stepsTaken() > 0) {
          checkpoint(a);
        }
      } catch (RuntimeException e) {
        log.warn("checkpoint on close failed jobId={}", a.spec().id(), e);
      } finally {
        release(a.spec().id());
      }
    }
    admitted.clear();
    claimed.clear();
  }

  /**
   * Releases every job without a checkpoint, as a worker that dies would (tests of recovery, and a
   * worker whose leases are gone): whatever was trained since each job's last checkpoint is lost.
   */
  public void abandon() {
    synchronized (claimed) {
      closed = true;
    }
    for (Active a : List.copyOf(active.values())) {
      release(a.spec().id());
    }
    admitted.clear();
    claimed.clear();
  }

  private void boundary() {
    for (String id : List.copyOf(cancelled)) {
      Active a = active.get(id);
      if (a != null) {
        release(id);
        listener.onCancelled(id);
      } else if (admitted.removeIf(j -> j.id().equals(id))) {
        claimed.remove(id);
        listener.onCancelled(id);
      }
      cancelled.remove(id);
    }
    WorkerJob next;
    while ((next = admitted.poll()) != null) {
      try {
        long started = System.nanoTime();
        active.put(next.id(), start(next));
        listener.onPhase(next.id(), JobTimings.Phase.START, System.nanoTime() - started);
      } catch (RuntimeException e) {
        claimed.remove(next.id());
        log.warn("job did not start jobId={}", next.id(), e);
        listener.onFailed(next.id(), e);
      }
    }
  }

  private Active start(WorkerJob spec) {
    TrainingJob job = spec.start(model);
    try {
      Optional<CheckpointStore.StoredCheckpoint> stored = checkpoints.latest(spec.id());
      if (stored.isPresent()) {
        restore(job, JobCheckpoint.readFrom(new ByteArrayInputStream(stored.get().bytes())));
        log.info("job resumed jobId={} step={}", spec.id(), job.optimizer().stepsTaken());
        listener.onResumed(spec.id(), job.optimizer().stepsTaken());
      } else {
        log.info("job started jobId={} method={}", spec.id(), spec.method());
      }
      return new Active(spec, job);
    } catch (RuntimeException e) {
      job.close();
      throw e;
    }
  }

  /**
   * PyTorch's grad mode is per thread, and on in every thread but the one that started DJL's
   * engine: an in-place restore into parameters that require grad fails with grad mode on, so it is
   * turned off around the restore (the trainer turns it on for each step itself).
   */
  private static void restore(TrainingJob job, JobCheckpoint checkpoint) {
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      job.restore(checkpoint);
    } finally {
      JniUtils.setGradMode(grad);
    }
  }

  private void checkpoint(Active a) {
    long start = System.nanoTime();
    int step = a.job().optimizer().stepsTaken();
    // The host copy is taken here; the store may zip and upload it beside the next steps.
    checkpoints.put(a.spec().id(), step, a.job().checkpoint());
    listener.onPhase(a.spec().id(), JobTimings.Phase.CHECKPOINT, System.nanoTime() - start);
    listener.onCheckpoint(a.spec().id(), step);
  }

  private void finish(Active a, double finalLoss) {
    WorkerJob spec = a.spec();
    long evalStart = System.nanoTime();
    OptionalDouble evalLoss =
        spec.evalExamples().isEmpty()
            ? OptionalDouble.empty()
            : OptionalDouble.of(trainer.evalLoss(a.job(), spec.evalExamples()));
    long exportStart = System.nanoTime();
    listener.onPhase(spec.id(), JobTimings.Phase.EVAL, exportStart - evalStart);
    Path dir = exportRoot.resolve(spec.id());
    AdapterExport.write(a.job().adapter(), baseModelName, dir);
    listener.onPhase(spec.id(), JobTimings.Phase.EXPORT, System.nanoTime() - exportStart);
    int steps = a.job().optimizer().stepsTaken();
    release(spec.id());
    log.info("job finished jobId={} steps={} dir={}", spec.id(), steps, dir);
    listener.onFinished(new JobResult(spec.id(), steps, finalLoss, evalLoss, dir));
  }

  private void fail(Active a, RuntimeException e) {
    log.warn("job failed jobId={}", a.spec().id(), e);
    release(a.spec().id());
    listener.onFailed(a.spec().id(), e);
  }

  private void release(String id) {
    Active a = active.remove(id);
    if (a != null) {
      a.job().close();
    }
    claimed.remove(id);
  }
}
