package io.adapterplatform.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.adapterplatform.api.registry.client.AdaptersApi;
import io.adapterplatform.api.registry.client.AliasesApi;
import io.adapterplatform.api.registry.client.VersionsApi;
import io.adapterplatform.api.registry.invoker.ApiException;
import io.adapterplatform.api.registry.model.Compose;
import io.adapterplatform.api.registry.model.ComposeRequest;
import io.adapterplatform.api.registry.model.CreateAdapterRequest;
import io.adapterplatform.api.registry.model.RouterInit;
import io.adapterplatform.engine.format.AdapterKeys;
import io.adapterplatform.training.worker.HeldPublisherWorker;
import io.adapterplatform.training.worker.JobTimings;
import io.adapterplatform.training.worker.TrainingWorker;
import io.adapterplatform.training.worker.Workers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * Jobs submitted through the HTTP API, trained by the worker of the same context on a tiny model,
 * published to the real registry beside it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TrainingWorkerTest extends WorkerTestBase {

  @Autowired Workers workers;
  @Autowired ApplicationContext context;

  private static String spec(String dataset, String output, String method, String extra) {
    return """
        {"baseModel": "%s", "dataset": "%s", "output": {"adapter": "%s"}, "method": "%s", %s}"""
        .formatted(TRAINABLE, dataset, output, method, extra);
  }

  private static String training(int steps, int batchSize, long seed, int checkpointEvery) {
    return """
        "training": {"steps": %d, "batchSize": %d, "learningRate": 0.03, "warmupSteps": 2,
                     "schedule": "cosine", "maxSeqLen": 16, "seed": %d, "evalFraction": 0.25,
                     "evalEvery": 8, "checkpointEvery": %d}"""
        .formatted(steps, batchSize, seed, checkpointEvery);
  }

  private static String lora(int steps, long seed, int checkpointEvery) {
    return """
        "lora": {"r": 4, "alpha": 8, "targetModules": ["q_proj", "v_proj"]}, %s"""
        .formatted(training(steps, 4, seed, checkpointEvery));
  }

  private static final String DORA =
      """
      "lora": {"r": 4, "alpha": 8, "dropout": 0.1, "useRslora": true,
               "targetModules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                 "down_proj"]}, %s"""
          .formatted(training(24, 3, 2, 10));

  private static final String MIXLORA =
      """
      "lora": {"r": 4, "alpha": 8, "dropout": 0.05,
               "targetModules": ["q_proj", "v_proj", "gate_proj", "up_proj", "down_proj"]},
      "mixlora": {"numExperts": 4, "topK": 2, "jitterNoise": 0.05}, %s"""
          .formatted(training(24, 2, 3, 10));

  @Test
  @Order(1)
  void loraDoraAndMixLoraJobsTrainFusedAndPublishTheirAdaptersWithLineage() throws Exception {
    ensureTrainableBase();
    String dataset = taskDataset(48, 1);
    String suffix = unique();

    List<String> ids = new ArrayList<>();
    ids.add(submit(withCandidateAlias(spec(dataset, "lora-" + suffix, "LORA", lora(24, 1, 10)))));
    ids.add(submit(spec(dataset, "dora-" + suffix, "DORA", DORA)));
    ids.add(submit(spec(dataset, "mix-" + suffix, "MIXLORA", MIXLORA)));
    List<JsonNode> done = new ArrayList<>();
    for (String id : ids) {
      done.add(awaitState(id, "SUCCEEDED"));
    }

    for (int i = 0; i < 3; i++) {
      JsonNode job = done.get(i);
      List<String> others = new ArrayList<>(ids);
      others.remove(ids.get(i));
      assertThat(job.get("fusedWith").valueStream().map(JsonNode::asString).toList())
          .as("fusedWith of %s", job.get("method"))
          .containsAll(others);
      assertThat(job.get("attempts").asInt()).isEqualTo(1);
      assertThat(job.get("progress").get("step").asInt()).isEqualTo(24);
      double initial = job.get("metrics").get("initialLoss").asDouble();
      double last = job.get("metrics").get("finalLoss").asDouble();
      assertThat(last).as("loss of %s", job.get("method")).isLessThan(0.5 * initial);
      assertThat(job.get("metrics").get("evalLoss").isNumber()).isTrue();
      assertThat(job.get("metrics").get("evalLoss").asDouble()).isLessThan(0.5 * initial);

      JsonNode result = job.get("result");
      var version =
          new VersionsApi(registry(ADMIN))
              .getVersion(
                  result.get("adapter").asString(), String.valueOf(result.get("version").asInt()));
      var lineage = version.getLineage();
      assertThat(lineage.getJob()).isEqualTo(ids.get(i));
      assertThat(lineage.getDataset().getName() + "@" + lineage.getDataset().getVersion())
          .isEqualTo(dataset);
      assertThat(lineage.getDataset().getSha256()).hasSize(64);
      assertThat(lineage.getBaseModel().getName()).isEqualTo(TRAINABLE);
      assertThat(lineage.getBaseModel().getSha256()).hasSize(64);
      assertThat(lineage.getMetrics()).containsKeys("initialLoss", "finalLoss", "evalLoss");
      assertThat(lineage.getHyperparameters()).containsKeys("method", "lora", "training");

      var curve = get("/api/v1/jobs/" + ids.get(i) + "/metrics", ADMIN).json();
      assertThat(curve.get("steps").size()).isEqualTo(24);
      // evalEvery 8 over 24 steps, the last one at the end
      assertThat(curve.get("evals").valueStream().map(e -> e.get("step").asInt()).toList())
          .containsExactly(8, 16, 24);
      // Published: its checkpoints are gone.
      assertThat(checkpointSteps(ids.get(i))).isEmpty();
    }
    String events =
        get("/api/v1/jobs/" + ids.getFirst() + "/events", ADMIN, "Accept", "text/event-stream")
            .body();
    assertThat(events).contains("event: progress", "\"state\":\"RUNNING\"");
    assertThat(events).contains("\"state\":\"SUCCEEDED\"");

    assertThat(new AliasesApi(registry(ADMIN)).getAlias("lora-" + suffix, "candidate").getVersion())
        .isEqualTo(done.getFirst().get("result").get("version").asInt());

    // The trained LoRA, loaded in the engine, does the task better than the base model.
    var heldOut = examples(taskJsonl(16, 99));
    int loraVersion = done.getFirst().get("result").get("version").asInt();
    assertThat(engineLoss("lora-" + suffix, loraVersion, heldOut, registry(ADMIN)))
        .isLessThan(0.5 * engineLoss(null, 0, heldOut, registry(ADMIN)));

    // The DoRA job (dropout 0.1) again, alone: fusion changed nothing but speed.
    String solo = submit(spec(dataset, "dora-solo-" + suffix, "DORA", DORA));
    JsonNode alone = awaitState(solo, "SUCCEEDED");
    assertThat(alone.get("fusedWith")).isEmpty();
    var fused = versionTensors("dora-" + suffix, done.get(1).get("result").get("version").asInt());
    var single = versionTensors("dora-solo-" + suffix, alone.get("result").get("version").asInt());
    assertThat(maxRelativeDifference(fused, single)).isLessThanOrEqualTo(1e-4);
  }

  @Test
  @Order(2)
  void aRouterJobOnAComposedMixLoraLowersItsLossAndKeepsItsExperts() throws Exception {
    ensureTrainableBase();
    String task = jsonlDataset(taskJsonl(32, 2));
    String otherTask = jsonlDataset(taskJsonl("hgfedcba", 32, 2));
    String ffn =
        """
        "lora": {"r": 4, "alpha": 8, "targetModules": ["gate_proj", "up_proj", "down_proj"]}, %s""";
    String suffix = unique();
    String first =
        submit(spec(task, "expert-a-" + suffix, "LORA", ffn.formatted(training(16, 4, 6, 100))));
    String second =
        submit(
            spec(otherTask, "expert-b-" + suffix, "LORA", ffn.formatted(training(16, 4, 7, 100))));
    awaitState(first, "SUCCEEDED");
    awaitState(second, "SUCCEEDED");
    String mix = "composed-" + suffix;
    new AdaptersApi(registry(ADMIN))
        .createAdapter(new CreateAdapterRequest().name(mix).baseModel(TRAINABLE));
    new VersionsApi(registry(ADMIN))
        .composeVersion(
            mix,
            new ComposeRequest()
                .compose(
                    new Compose()
                        .experts(List.of("expert-a-" + suffix + "@1", "expert-b-" + suffix + "@1"))
                        .topK(2)
                        .router(
                            new RouterInit()
                                .init(RouterInit.InitEnum.RANDOM)
                                .range(0.5)
                                .seed(3L))));

    String routed = "routed-" + suffix;
    String id =
        submit(
            spec(
                task,
                routed,
                "ROUTER",
                "\"router\": {\"from\": \"%s@1\"}, %s".formatted(mix, training(16, 4, 5, 100))));
    JsonNode job = awaitState(id, "SUCCEEDED");

    assertThat(job.get("metrics").get("finalLoss").asDouble())
        .isLessThan(job.get("metrics").get("initialLoss").asDouble());
    Map<String, float[]> before = versionTensors(mix, 1);
    Map<String, float[]> after = versionTensors(routed, job.get("result").get("version").asInt());
    assertThat(after.keySet()).isEqualTo(before.keySet());
    int routers = 0;
    for (String name : before.keySet()) {
      if (name.equals(AdapterKeys.mixloraRouter(0)) || name.equals(AdapterKeys.mixloraRouter(1))) {
        routers++;
        assertThat(after.get(name)).as(name).isNotEqualTo(before.get(name));
      } else {
        assertThat(after.get(name)).as(name).isEqualTo(before.get(name));
      }
    }
    assertThat(routers).isEqualTo(2);
  }

  @Test
  @Order(3)
  void aCancelledJobStopsAtAStepBoundaryAndPublishesNothing() throws Exception {
    ensureTrainableBase();
    String output = "cancelled-" + unique();
    String id = submit(spec(taskDataset(16, 3), output, "LORA", lora(100000, 1, 1000)));
    awaitStep(id, 2);

    var cancelled = postJson("/api/v1/jobs/" + id + ":cancel", ADMIN, "");

    assertThat(cancelled.status()).as(cancelled.body()).isEqualTo(200);
    assertThat(cancelled.json().get("state").asString()).isEqualTo("CANCELLED");
    TrainingWorker worker = workers.current();
    await("the worker lets go of job " + id)
        .atMost(Duration.ofSeconds(30))
        .until(() -> !worker.jobs().contains(UUID.fromString(id)));
    int stepAtStop = job(id).get("progress").get("step").asInt();
    assertThat(job(id).get("state").asString()).isEqualTo("CANCELLED");
    assertThat(job(id).get("progress").get("step").asInt()).isEqualTo(stepAtStop);
    assertNotPublished(output);
    assertThat(checkpointSteps(id)).isEmpty();
  }

  @Test
  @Order(3)
  void aJobThatCannotRunFailsWithItsReasonAfterMaxAttempts() throws Exception {
    // BASE's tokenizer.json is no tokenizer: every attempt fails to start the job.
    ensureBaseModels();
    String id =
        submit(
            """
            {"baseModel": "%s", "dataset": "%s", "output": {"adapter": "never-%s"}, "method": "LORA",
             %s}"""
                .formatted(BASE, taskDataset(8, 5), unique(), lora(4, 1, 10).strip()));

    JsonNode failed = awaitState(id, "FAILED");

    assertThat(failed.get("attempts").asInt()).isEqualTo(3);
    assertThat(failed.get("error").asString())
        .startsWith("gave up after 3 attempts: ")
        .doesNotContain("lease expired");
  }

  @Test
  @Order(4)
  void aJobWhoseWorkerDiesIsFinishedByAnotherFromItsCheckpointWithOneVersion() throws Exception {
    ensureTrainableBase();
    String dataset = taskDataset(32, 4);
    String reference = "uninterrupted-" + unique();
    JsonNode whole =
        awaitState(submit(spec(dataset, reference, "LORA", lora(60, 9, 5))), "SUCCEEDED");
    String output = "resumed-" + unique();
    String id = submit(spec(dataset, output, "LORA", lora(60, 9, 5)));
    awaitStep(id, 12);

    TrainingWorker first = workers.current();
    first.kill();
    JsonNode atDeath = job(id);
    assertThat(atDeath.get("state").asString()).isEqualTo("RUNNING");
    assertThat(checkpointSteps(id)).anySatisfy(step -> assertThat(step).isGreaterThanOrEqualTo(10));
    TrainingWorker second = workers.startWorker("second-" + unique());
    JsonNode finished = awaitState(id, "SUCCEEDED");

    assertThat(finished.get("attempts").asInt()).isEqualTo(2);
    assertThat(finished.get("worker").asString()).isEqualTo(second.id());
    assertThat(versionCount(output)).isEqualTo(1);
    var resumed = versionTensors(output, finished.get("result").get("version").asInt());
    var uninterrupted = versionTensors(reference, whole.get("result").get("version").asInt());
    assertThat(maxRelativeDifference(resumed, uninterrupted)).isLessThanOrEqualTo(1e-5);
  }

  @Test
  @Order(5)
  void aWorkerThatStopsCheckpointsItsJobsAndAnotherResumesThemAtOnce() throws Exception {
    ensureTrainableBase();
    String output = "handed-over-" + unique();
    String id = submit(spec(taskDataset(16, 6), output, "LORA", lora(40, 3, 1000)));
    awaitStep(id, 3);

    workers.live().forEach(TrainingWorker::stop);

    JsonNode stopped = job(id);
    assertThat(stopped.get("state").asString()).isEqualTo("RUNNING");
    assertThat(stopped.get("worker").isNull()).isTrue();
    int step = stopped.get("progress").get("step").asInt();
    assertThat(checkpointSteps(id)).containsExactly(step);
    workers.startWorker("after-stop-" + unique());
    JsonNode finished = awaitState(id, "SUCCEEDED");
    assertThat(finished.get("attempts").asInt()).isEqualTo(2);
    assertThat(versionCount(output)).isEqualTo(1);
  }

  @Test
  @Order(6)
  void aJobCancelledWhileQueuedIsNeverRun() throws Exception {
    ensureTrainableBase();
    workers.live().forEach(TrainingWorker::stop);
    String dataset = taskDataset(8, 7);
    String output = "never-run-" + unique();
    String cancelled = submit(spec(dataset, output, "LORA", lora(4, 1, 10)));
    var answer = postJson("/api/v1/jobs/" + cancelled + ":cancel", ADMIN, "");
    assertThat(answer.json().get("state").asString()).isEqualTo("CANCELLED");
    String later = submit(spec(dataset, "runs-" + unique(), "LORA", lora(4, 1, 10)));

    workers.startWorker("after-cancel-" + unique());
    // Claims go oldest first: once the later job has run, the cancelled one was passed over.
    awaitState(later, "SUCCEEDED");

    JsonNode job = job(cancelled);
    assertThat(job.get("state").asString()).isEqualTo("CANCELLED");
    assertThat(job.get("attempts").asInt()).isZero();
    assertThat(job.get("progress").get("step").asInt()).isZero();
    assertNotPublished(output);
  }

  @Test
  @Order(7)
  void aWorkerKilledBetweenTheExportAndThePublishLeavesOneVersionPublishedByAnother()
      throws Exception {
    ensureTrainableBase();
    workers.live().forEach(TrainingWorker::stop);
    var exported = new CountDownLatch(1);
    var publish = new CountDownLatch(1);
    TrainingWorker held = HeldPublisherWorker.start(context, "held-" + unique(), exported, publish);
    String output = "killed-before-publish-" + unique();
    String id =
        submit(withCandidateAlias(spec(taskDataset(16, 8), output, "LORA", lora(12, 4, 5))));
    assertThat(exported.await(2, TimeUnit.MINUTES)).as("the job was exported").isTrue();

    held.kill();

    JsonNode atDeath = job(id);
    assertThat(atDeath.get("state").asString()).isEqualTo("RUNNING");
    assertThat(atDeath.path("result").isNull() || atDeath.path("result").isMissingNode()).isTrue();
    assertNotPublished(output);
    // Its checkpoints stay until it is published: the next worker resumes from step 10.
    assertThat(checkpointSteps(id)).contains(10);
    publish.countDown();
    workers.startWorker("after-export-" + unique());
    JsonNode finished = awaitState(id, "SUCCEEDED");

    assertThat(finished.get("attempts").asInt()).isEqualTo(2);
    assertThat(versionCount(output)).isEqualTo(1);
    int version = finished.get("result").get("version").asInt();
    assertThat(new AliasesApi(registry(ADMIN)).getAlias(output, "candidate").getVersion())
        .isEqualTo(version);
    assertThat(checkpointSteps(id)).isEmpty();
  }

  @Test
  @Order(8)
  void aNewRunnerWaitsTheFuseWindowOnlyWhileMoreJobsCouldJoinIt() throws Exception {
    ensureTrainableBase();
    workers.live().forEach(TrainingWorker::stop);
    String dataset = taskDataset(16, 9);
    List<String> full = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      full.add(submit(spec(dataset, "full-" + i + "-" + unique(), "LORA", lora(4, i, 100))));
    }

    workers.startWorker("full-group-" + unique());
    for (String id : full) {
      awaitState(id, "SUCCEEDED");
    }
    workers.live().forEach(TrainingWorker::stop);
    String alone = submit(spec(dataset, "alone-" + unique(), "LORA", lora(4, 9, 100)));
    workers.startWorker("lone-job-" + unique());
    awaitState(alone, "SUCCEEDED");

    // max-fused-jobs (4) claimed at once: the first step came at once, not after the 3 s window.
    for (String id : full) {
      var timings = workers.timings(UUID.fromString(id)).orElseThrow();
      assertThat(timings.of(JobTimings.Phase.WAIT)).as("wait of %s", id).isLessThan(WINDOW);
      assertThat(job(id).get("fusedWith")).hasSize(3);
    }
    // One job alone: the runner waited the window for partners.
    var lone = workers.timings(UUID.fromString(alone)).orElseThrow();
    assertThat(
            lone.of(JobTimings.Phase.WAIT)
                .plus(lone.of(JobTimings.Phase.PLAN))
                .plus(lone.of(JobTimings.Phase.START)))
        .isGreaterThanOrEqualTo(WINDOW.minusMillis(100));
  }

  /** The same spec, asking the publish to point alias {@code candidate} at the new version. */
  private static String withCandidateAlias(String spec) {
    return spec.replaceFirst(
        "(\"output\": \\{\"adapter\": \"[^\"]+\")", "$1, \"alias\": \"candidate\"");
  }

  private void awaitStep(String id, int step) throws Exception {
    awaitJob(id, Duration.ofMinutes(2), j -> j.get("progress").get("step").asInt() >= step);
  }

  /** The steps of the job's checkpoints still kept (a published job keeps none). */
  private List<Integer> checkpointSteps(String id) throws Exception {
    return get("/api/v1/jobs/" + id + "/checkpoints", ADMIN)
        .json()
        .get("items")
        .valueStream()
        .map(c -> c.get("step").asInt())
        .toList();
  }

  private void assertNotPublished(String adapter) {
    assertThatThrownBy(() -> new AdaptersApi(registry(ADMIN)).getAdapter(adapter))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(404));
  }

  private int versionCount(String adapter) throws Exception {
    return new VersionsApi(registry(ADMIN))
        .listVersions(adapter, null, null, null)
        .getItems()
        .size();
  }

  /** WorkerTestBase's {@code fuse-window}. */
  private static final Duration WINDOW = Duration.ofSeconds(3);
}
