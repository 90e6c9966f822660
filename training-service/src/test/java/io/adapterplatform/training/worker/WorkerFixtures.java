package io.adapterplatform.training.worker;

import ai.djl.Device;
import io.adapterplatform.embedded.BackendEndpoints;
import io.adapterplatform.embedded.TestBackends;
import io.adapterplatform.engine.adapter.AdapterCheckpoint;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.format.SafetensorsFile;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.testing.TinyModels;
import io.adapterplatform.engine.train.AdamW;
import io.adapterplatform.engine.train.LoraSpec;
import io.adapterplatform.engine.train.LrSchedule;
import io.adapterplatform.engine.train.MixLoraSpec;
import io.adapterplatform.engine.train.TrainingConfig;
import io.adapterplatform.engine.train.TrainingExample;
import io.minio.MinioClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;

/** A tiny model, a synthetic task, three kinds of job and a real object store for the tests. */
final class WorkerFixtures {

  static final ModelDims DIMS = TinyModels.smallDims();
  static final int[] CYCLE = {3, 41, 17, 58, 9, 26, 33, 50};

  private WorkerFixtures() {}

  /** The same random tiny model every call (a new worker loading the same base model). */
  static BaseModel model() {
    Map<String, float[]> weights = TinyModels.randomWeights(DIMS, 7);
    return BaseModel.fromWeights(DIMS, (name, shape) -> weights.get(name), Device.cpu());
  }

  /** Sequences walking {@link #CYCLE} from a random start; the first token is the prompt. */
  static List<TrainingExample> cycleTask(int count, int length, long seed) {
    var rng = new SplittableRandom(seed);
    List<TrainingExample> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int start = rng.nextInt(CYCLE.length);
      int[] tokens = new int[length];
      for (int t = 0; t < length; t++) {
        tokens[t] = CYCLE[(start + t) % CYCLE.length];
      }
      out.add(new TrainingExample(tokens, 1));
    }
    return out;
  }

  static TrainingConfig config(long seed, int batchSize, int steps) {
    return new TrainingConfig(
        seed,
        batchSize,
        new AdamW.Hyper(0.9, 0.999, 1e-8, 0.0, 1.0),
        new LrSchedule(0.03, 2, steps, LrSchedule.Decay.COSINE));
  }

  static WorkerJob lora(String id, int steps, int checkpointEvery) {
    return new WorkerJob(
        id,
        new WorkerJob.LoraJob(LoraSpec.qv(8, 16)),
        config(11, 4, steps),
        steps,
        cycleTask(32, 10, 5),
        cycleTask(8, 10, 6),
        checkpointEvery);
  }

  static WorkerJob doraWithDropout(String id, int steps, int checkpointEvery) {
    return new WorkerJob(
        id,
        new WorkerJob.LoraJob(new LoraSpec(4, 8, true, true, EnumSet.allOf(Projection.class), 0.1)),
        config(22, 3, steps),
        steps,
        cycleTask(24, 8, 15),
        cycleTask(6, 8, 16),
        checkpointEvery);
  }

  static WorkerJob mixLora(String id, int steps, int checkpointEvery) {
    return new WorkerJob(
        id,
        new WorkerJob.MixLoraJob(
            new MixLoraSpec(
                4, 2, 4, 8, 0.02, 0.01f, 0.05f, EnumSet.of(Projection.Q, Projection.V), 0.05)),
        config(33, 2, steps),
        steps,
        cycleTask(20, 12, 25),
        List.of(),
        checkpointEvery);
  }

  static MinioClient s3() {
    BackendEndpoints b = TestBackends.shared();
    return MinioClient.builder()
        .endpoint(b.s3Endpoint())
        .credentials(b.s3AccessKey(), b.s3SecretKey())
        .region(b.s3Region())
        .build();
  }

  static ObjectStoreCheckpointStore store() {
    return new ObjectStoreCheckpointStore(s3(), "worker-" + UUID.randomUUID());
  }

  /** Every tensor of an exported adapter, by name. */
  static Map<String, float[]> tensors(Path adapterDir) {
    Map<String, float[]> out = new LinkedHashMap<>();
    try (SafetensorsFile f =
        SafetensorsFile.open(adapterDir.resolve(AdapterCheckpoint.WEIGHTS_FILE))) {
      for (String name : f.header().names()) {
        out.put(name, f.readFloats(name));
      }
    }
    return out;
  }

  /** max |a − b| / max(max |b|, 1e-6) per tensor, the largest over all tensors. */
  static double maxRelativeDifference(Map<String, float[]> a, Map<String, float[]> b) {
    if (!a.keySet().equals(b.keySet())) {
      throw new AssertionError("tensor names differ: " + a.keySet() + " vs " + b.keySet());
    }
    double worst = 0;
    for (String name : a.keySet()) {
      float[] x = a.get(name);
      float[] y = b.get(name);
      double diff = 0;
      double scale = 1e-6;
      for (int i = 0; i < x.length; i++) {
        diff = Math.max(diff, Math.abs(x[i] - y[i]));
        scale = Math.max(scale, Math.abs(y[i]));
      }
      worst = Math.max(worst, diff / scale);
    }
    return worst;
  }

  /** A listener that keeps everything it hears. */
  static final class Recorder implements RunnerListener {
    final List<JobProgress> progress = Collections.synchronizedList(new ArrayList<>());
    final Map<String, JobResult> finished = Collections.synchronizedMap(new LinkedHashMap<>());
    final List<String> cancelled = Collections.synchronizedList(new ArrayList<>());
    final List<String> checkpoints = Collections.synchronizedList(new ArrayList<>());
    final Map<String, Integer> resumed = Collections.synchronizedMap(new LinkedHashMap<>());
    final Map<String, RuntimeException> failed = Collections.synchronizedMap(new LinkedHashMap<>());

    @Override
    public void onProgress(JobProgress p) {
      progress.add(p);
    }

    @Override
    public void onResumed(String jobId, int step) {
      resumed.put(jobId, step);
    }

    @Override
    public void onCheckpoint(String jobId, int step) {
      checkpoints.add(jobId + "@" + step);
    }

    @Override
    public void onFinished(JobResult result) {
      finished.put(result.jobId(), result);
    }

    @Override
    public void onCancelled(String jobId) {
      cancelled.add(jobId);
    }

    @Override
    public void onFailed(String jobId, RuntimeException cause) {
      failed.put(jobId, cause);
    }

    List<JobProgress> of(String jobId) {
      return progress.stream().filter(p -> p.jobId().equals(jobId)).toList();
    }
  }

  /** Runs {@code runner} until it has no job left; at most {@code maxSteps} steps. */
  static void runToEnd(FusedRunner runner, int maxSteps) {
    for (int i = 0; i < maxSteps && runner.jobs() > 0; i++) {
      runner.runStep();
    }
    if (runner.jobs() > 0) {
      throw new AssertionError("jobs still running after " + maxSteps + " steps");
    }
  }
}
