package io.adapterplatform.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.adapterplatform.api.registry.client.BaseModelsApi;
import io.adapterplatform.api.registry.client.VersionsApi;
import io.adapterplatform.api.registry.invoker.ApiClient;
import io.adapterplatform.api.registry.invoker.ApiException;
import io.adapterplatform.engine.adapter.AdapterCheckpoint;
import io.adapterplatform.engine.format.DType;
import io.adapterplatform.engine.format.ModelConfig;
import io.adapterplatform.engine.format.SafetensorsFile;
import io.adapterplatform.engine.fused.AdapterPool;
import io.adapterplatform.engine.fused.GroupedLora;
import io.adapterplatform.engine.model.AdapterHook;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDirectory;
import io.adapterplatform.engine.model.Segment;
import io.adapterplatform.engine.testing.TinyModels;
import io.adapterplatform.engine.train.TrainingExample;
import io.adapterplatform.training.worker.DatasetTokenizer;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The training service with a worker in the same context (role {@code all}), short leases so that a
 * killed worker's jobs are taken over within seconds, and a trainable tiny base model: random
 * weights and the byte-level BPE tokenizer of the engine's tests.
 */
@TestPropertySource(
    properties = {
      "training.test.role=all",
      "platform.training.max-fused-jobs=4",
      "platform.training.worker.lease=3s",
      "platform.training.worker.heartbeat=500ms",
      "platform.training.worker.poll-interval=200ms",
      "platform.training.worker.fuse-window=3s",
      // Exactly the first and last step of a job on Kafka (TrainingEventsTest).
      "platform.training.progress-event-interval=1h"
    })
public abstract class WorkerTestBase extends TrainingTestBase {

  protected static final String TRAINABLE = "worker-base";

  /** The sequence the synthetic task walks: the completion continues the prompt's letters. */
  private static final String CYCLE = "abcdefgh";

  /** The trainable base model's files as uploaded (this JVM uploads it once). */
  protected static Path trainableDir;

  protected synchronized void ensureTrainableBase() throws Exception {
    var api = new BaseModelsApi(registry(ADMIN));
    try {
      api.getBaseModel(TRAINABLE);
    } catch (ApiException e) {
      assertThat(e.getCode()).isEqualTo(404);
      Path dir = Files.createTempDirectory("trainable-");
      trainableDir = dir;
      TinyModels.writeModel(dir, TinyModels.tokenizerDims(), 7, DType.F32, 1);
      TinyModels.writeTokenizer(dir);
      api.uploadBaseModel(
          TRAINABLE,
          List.of(
              dir.resolve("config.json").toFile(),
              dir.resolve("model.safetensors").toFile(),
              dir.resolve("tokenizer.json").toFile()));
    }
  }

  /** {@code count} records of the task: a letter, then the next five of the cycle. */
  protected static String taskJsonl(int count, long seed) {
    return taskJsonl(CYCLE, count, seed);
  }

  /** The same task over another order of letters (a second task for a second expert). */
  protected static String taskJsonl(String cycle, int count, long seed) {
    var random = new SplittableRandom(seed);
    var out = new StringBuilder();
    for (int i = 0; i < count; i++) {
      int start = random.nextInt(cycle.length());
      var completion = new StringBuilder();
      for (int k = 1; k <= 5; k++) {
        completion.append(cycle.charAt((start + k) % cycle.length()));
      }
      out.append("{\"prompt\": \"")
          .append(cycle.charAt(start))
          .append("\", \"completion\": \"")
          .append(completion)
          .append("\"}\n");
    }
    return out.toString();
  }

  /** A new dataset of the task; returns {@code name@version}. */
  protected String taskDataset(int count, long seed) throws Exception {
    return jsonlDataset(taskJsonl(count, seed));
  }

  /** A new dataset of {@code jsonl}; returns {@code name@version}. */
  protected String jsonlDataset(String jsonl) throws Exception {
    var r = uploadDataset(ADMIN, "task-" + unique(), jsonl);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return r.json().get("name").asString() + "@" + r.json().get("version").asInt();
  }

  /** Submits a job; returns its id. */
  protected String submit(String spec) throws Exception {
    var r = postJson("/api/v1/jobs", ADMIN, spec);
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    return r.json().get("id").asString();
  }

  protected JsonNode job(String id) throws Exception {
    var r = get("/api/v1/jobs/" + id, ADMIN);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json();
  }

  /** Polls the job until {@code until} holds (or fails after {@code timeout}). */
  protected JsonNode awaitJob(String id, Duration timeout, Predicate<JsonNode> until) {
    return await("job " + id)
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> job(id), until);
  }

  protected JsonNode awaitState(String id, String state) {
    return awaitJob(
        id,
        Duration.ofMinutes(3),
        j -> {
          String s = j.get("state").asString();
          if (!s.equals(state) && Set.of("SUCCEEDED", "FAILED", "CANCELLED").contains(s)) {
            throw new AssertionError("job ended " + s + " instead of " + state + ": " + j);
          }
          return s.equals(state);
        });
  }

  /** Every tensor of a published version, by name. */
  protected Map<String, float[]> versionTensors(String adapter, int version) throws Exception {
    File f =
        new VersionsApi(registry(ADMIN))
            .downloadVersionFile(
                adapter, String.valueOf(version), AdapterCheckpoint.WEIGHTS_FILE, null, null);
    Map<String, float[]> out = new LinkedHashMap<>();
    try (SafetensorsFile file = SafetensorsFile.open(f.toPath())) {
      for (String name : file.header().names()) {
        out.put(name, file.readFloats(name));
      }
    } finally {
      Files.deleteIfExists(f.toPath());
    }
    return out;
  }

  /**
   * The mean loss on the completion tokens of {@code examples} through the engine: with the
   * published version {@code adapter@version}, or the bare base model when {@code adapter} is null.
   */
  protected static double engineLoss(
      String adapter, int version, List<TrainingExample> examples, ApiClient registry)
      throws Exception {
    ModelConfig config = ModelDirectory.config(trainableDir);
    try (BaseModel model = ModelDirectory.load(trainableDir, Device.cpu())) {
      AdapterPool pool = null;
      if (adapter != null) {
        Path dir = Files.createTempDirectory("published-");
        var api = new VersionsApi(registry);
        for (String file : List.of(AdapterCheckpoint.CONFIG_FILE, AdapterCheckpoint.WEIGHTS_FILE)) {
          File f = api.downloadVersionFile(adapter, String.valueOf(version), file, null, null);
          Files.move(f.toPath(), dir.resolve(file));
        }
        pool = AdapterPool.of(model, List.of(AdapterCheckpoint.read(dir, config).weights()));
      }
      double sum = 0;
      int count = 0;
      int vocab = config.vocabSize();
      for (TrainingExample example : examples) {
        int[] tokens = example.tokens();
        try (NDManager step = model.manager().newSubManager()) {
          int[] rows = new int[tokens.length];
          AdapterHook hook =
              pool == null ? AdapterHook.NONE : pool.bind(step, rows, GroupedLora.Strategy.AUTO);
          float[] logp =
              model
                  .forward(step, tokens, List.of(Segment.of(tokens.length)), hook)
                  .logSoftmax(-1)
                  .toFloatArray();
          for (int t = Math.max(1, example.promptLength()); t < tokens.length; t++) {
            sum -= logp[(t - 1) * vocab + tokens[t]];
            count++;
          }
        }
      }
      if (pool != null) {
        pool.close();
      }
      return sum / count;
    }
  }

  /** The examples of {@code jsonl} as the worker tokenizes them. */
  protected static List<TrainingExample> examples(String jsonl) {
    try (var tokenizer = DatasetTokenizer.open(trainableDir)) {
      return tokenizer
          .examples(new java.io.BufferedReader(new java.io.StringReader(jsonl)), 16)
          .examples();
    }
  }

  /** max |a − b| / max(max |b|, 1e-6) per tensor, the largest over all tensors. */
  protected static double maxRelativeDifference(Map<String, float[]> a, Map<String, float[]> b) {
    assertThat(a.keySet()).isEqualTo(b.keySet());
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
}
