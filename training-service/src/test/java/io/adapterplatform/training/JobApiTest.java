package io.adapterplatform.training;

import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import io.adapterplatform.api.registry.model.Role;
import io.adapterplatform.embedded.BackendEndpoints;
import io.adapterplatform.engine.format.AdapterConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

class JobApiTest extends TrainingTestBase {

  @Autowired JdbcClient jdbc;

  String dataset;

  @BeforeEach
  void setUp() throws Exception {
    ensureBaseModels();
    dataset = dataset("jobs-" + unique());
  }

  ObjectNode loraJob() {
    var job =
        (ObjectNode)
            JSON.readTree(
                """
        {"baseModel": "%s", "dataset": "%s",
         "output": {"adapter": "out-%s", "alias": "candidate"},
         "method": "LORA",
         "lora": {"r": 4, "alpha": 8, "dropout": 0.1, "targetModules": ["q_proj", "v_proj"]},
         "training": {"steps": 20, "batchSize": 2, "learningRate": 0.001, "warmupSteps": 2,
                      "maxSeqLen": 64, "seed": 7, "checkpointEvery": 10}}
        """
                    .formatted(BASE, dataset, unique()));
    return job;
  }

  @Test
  void queuesAValidJobAndShowsItsWholeShape() throws Exception {
    String trainer = tokenWith(Role.TRAINER);

    var r = postJson("/api/v1/jobs", trainer, loraJob().toString());

    assertThat(r.status()).as(r.body()).isEqualTo(202);
    var job = r.json();
    String id = job.get("id").asString();
    assertThat(job.get("state").asString()).isEqualTo("QUEUED");
    assertThat(r.raw().headers().firstValue("Location")).hasValue("/api/v1/jobs/" + id);
    var read = get("/api/v1/jobs/" + id, tokenWith(Role.READER)).json();
    assertThat(read.get("baseModel").asString()).isEqualTo(BASE);
    assertThat(read.get("attempts").asInt()).isZero();
    assertThat(read.get("progress").get("step").asInt()).isZero();
    assertThat(read.get("metrics").has("finalLoss")).isTrue();
    assertThat(read.get("fusedWith").isArray()).isTrue();
    assertThat(read.get("fusedWith").size()).isZero();
    assertThat(read.get("worker").isNull()).isTrue();
    assertThat(read.get("result").isNull()).isTrue();
    assertThat(read.get("error").isNull()).isTrue();
    assertThat(read.get("training").get("schedule").asString()).isEqualTo("linear");
    assertThat(read.get("lora").get("useRslora").asBoolean()).isFalse();
    var metrics = get("/api/v1/jobs/" + id + "/metrics", trainer).json();
    assertThat(metrics.get("steps").size()).isZero();
    assertThat(get("/api/v1/jobs/" + id + "/checkpoints", trainer).json().get("items").size())
        .isZero();
  }

  @Test
  void cancelsAQueuedJobOnceAndListsJobsByState() throws Exception {
    String trainer = tokenWith(Role.TRAINER);
    String id = postJson("/api/v1/jobs", trainer, loraJob().toString()).json().get("id").asString();

    var cancelled = postJson("/api/v1/jobs/" + id + ":cancel", trainer, "");
    var again = postJson("/api/v1/jobs/" + id + ":cancel", trainer, "");

    assertThat(cancelled.status()).as(cancelled.body()).isEqualTo(200);
    assertThat(cancelled.json().get("state").asString()).isEqualTo("CANCELLED");
    assertThat(problem(again, 409).get("detail").asString()).contains("CANCELLED");
    problem(postJson("/api/v1/jobs/" + id + ":cancel", tokenWith(Role.READER), ""), 403);
    problem(get("/api/v1/jobs/00000000-0000-0000-0000-000000000000", trainer), 404);
    problem(get("/api/v1/jobs/not-a-uuid", trainer), 400);
    var cancelledJobs = get("/api/v1/jobs?state=CANCELLED&limit=500", trainer).json();
    var queuedJobs = get("/api/v1/jobs?state=QUEUED&limit=500", trainer).json();
    assertThat(ids(cancelledJobs)).contains(id);
    assertThat(ids(queuedJobs)).doesNotContain(id);
  }

  @Test
  void pagesThroughJobsNewestFirst() throws Exception {
    String team = "pj" + unique().replace("-", "") + "-";
    String trainer = tokenWith(List.of(team), Role.TRAINER);
    var ids = new ArrayList<String>();
    for (int i = 0; i < 3; i++) {
      var job = loraJob();
      ((ObjectNode) job.get("output")).put("adapter", team + i);
      job.put("dataset", dataset("" + team + "d" + i));
      ids.add(postJson("/api/v1/jobs", trainer, job.toString()).json().get("id").asString());
    }

    var first = get("/api/v1/jobs?limit=2", trainer).json();
    var second =
        get("/api/v1/jobs?limit=2&cursor=" + first.get("nextCursor").asString(), trainer).json();

    assertThat(ids(first)).containsExactly(ids.get(2), ids.get(1));
    assertThat(ids(second)).containsExactly(ids.get(0));
    assertThat(second.get("nextCursor").isNull()).isTrue();
  }

  @Test
  void anIdempotencyKeyReplaysTheFirstAnswerAndRefusesAnotherRequest() throws Exception {
    String trainer = tokenWith(Role.TRAINER);
    var job = loraJob();
    String key = "key-" + unique();
    // The same JSON spelt differently is the same request.
    String respelt = JSON.writeValueAsString(JSON.readTree(job.toString())).replace(",", " ,");

    var first = postJson("/api/v1/jobs", trainer, job.toString(), "Idempotency-Key", key);
    var retry = postJson("/api/v1/jobs", trainer, respelt, "Idempotency-Key", key);
    job.put("method", "DORA");
    var other = postJson("/api/v1/jobs", trainer, job.toString(), "Idempotency-Key", key);

    assertThat(first.status()).as(first.body()).isEqualTo(202);
    assertThat(retry.status()).as(retry.body()).isEqualTo(202);
    assertThat(retry.json().get("id")).isEqualTo(first.json().get("id"));
    assertThat(retry.raw().headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(first.raw().headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(problem(other, 422).get("type").asString()).endsWith("/idempotency-key-reused");
    assertThat(
            postJson("/api/v1/jobs", trainer, job.toString(), "Idempotency-Key", "other-" + key)
                .status())
        .isEqualTo(202);
  }

  static Stream<Arguments> invalidJobs() {
    return Stream.of(
        bad("method", 400, j -> j.put("method", "QLORA")),
        bad("method", 400, j -> j.remove("method") == null ? j : j),
        bad("baseModel", 400, j -> j.put("baseModel", "Not A Name")),
        bad("lora.r", 400, j -> obj(j, "lora").put("r", 0)),
        bad("lora.alpha", 400, j -> obj(j, "lora").put("alpha", 0)),
        bad("lora.dropout", 400, j -> obj(j, "lora").put("dropout", 1.0)),
        bad("lora.dropout", 400, j -> obj(j, "lora").put("dropout", -0.1)),
        bad(
            "lora.targetModules",
            400,
            j -> {
              obj(j, "lora").putArray("targetModules");
              return j;
            }),
        bad("training.learningRate", 400, j -> obj(j, "training").put("learningRate", -0.1)),
        bad("training.learningRate", 400, j -> obj(j, "training").put("learningRate", 0)),
        bad("training.steps", 400, j -> obj(j, "training").put("epochs", 2)),
        bad("training.steps", 400, j -> obj(j, "training").remove("steps") == null ? j : j),
        bad("training.steps", 400, j -> obj(j, "training").put("steps", 0)),
        bad("training.batchSize", 400, j -> obj(j, "training").put("batchSize", 0)),
        bad("training.maxSeqLen", 400, j -> obj(j, "training").put("maxSeqLen", 1)),
        bad("training.warmupSteps", 400, j -> obj(j, "training").put("warmupSteps", -1)),
        bad("training.checkpointEvery", 400, j -> obj(j, "training").put("checkpointEvery", 0)),
        bad("training.evalFraction", 400, j -> obj(j, "training").put("evalFraction", 1.0)),
        bad("training.evalFraction", 400, j -> obj(j, "training").put("evalFraction", -0.5)),
        bad("training.schedule", 400, j -> obj(j, "training").put("schedule", "sawtooth")),
        bad("dataset", 400, j -> j.put("dataset", "no-version")),
        bad("output.adapter", 400, j -> obj(j, "output").put("adapter", "")),
        bad("mixlora.numExperts", 400, j -> mixlora(j, 1, 1)),
        bad("mixlora.topK", 400, j -> mixlora(j, 4, 5)),
        bad("mixlora", 400, j -> j.put("method", "MIXLORA")),
        bad("router", 400, j -> j.put("method", "ROUTER")),
        bad("dataset", 422, j -> j.put("dataset", "absent-dataset@1")),
        bad("evalDataset", 422, j -> j.put("evalDataset", "absent-dataset@3")),
        bad("baseModel", 422, j -> j.put("baseModel", "absent-base")),
        bad(
            "lora.targetModules",
            422,
            j -> {
              obj(j, "lora").putArray("targetModules").add("c_attn");
              return j;
            }),
        bad(
            "lora.targetModules",
            422,
            j -> {
              mixlora(j, 4, 2);
              obj(j, "lora").putArray("targetModules").add("q_proj").add("v_proj");
              return j;
            }));
  }

  private static Arguments bad(String field, int status, UnaryOperator<ObjectNode> change) {
    return Arguments.of(field, status, change);
  }

  private static ObjectNode obj(ObjectNode job, String field) {
    return (ObjectNode) job.get(field);
  }

  private static ObjectNode mixlora(ObjectNode job, int experts, int topK) {
    job.put("method", "MIXLORA");
    obj(job, "lora").putArray("targetModules").add("q_proj").add("gate_proj").add("up_proj");
    job.putObject("mixlora").put("numExperts", experts).put("topK", topK);
    return job;
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("invalidJobs")
  void refusesAnInvalidJobNamingTheFieldAndQueuesNothing(
      String field, int status, UnaryOperator<ObjectNode> change) throws Exception {
    String trainer = tokenWith(Role.TRAINER);
    String output = "never-" + unique();
    var job = loraJob();
    ((ObjectNode) job.get("output")).put("adapter", output);
    change.apply(job);

    var r = postJson("/api/v1/jobs", trainer, job.toString());

    var p = problem(r, status);
    assertThat(p.get("errors").valueStream().map(e -> e.get("field").asString()))
        .as(r.body())
        .contains(field);
    assertThat(
            jdbc.sql("select count(*) from training.job where output_adapter = ?")
                .param(output)
                .query(Long.class)
                .single())
        .isZero();
  }

  @Test
  void checksAdaptersInTheRegistry() throws Exception {
    String trainer = tokenWith(Role.TRAINER);
    String lora =
        publishedAdapter(BASE, AdapterConfig.lora(BASE, 4, 8, List.of("q_proj"), false, false));
    String mix =
        publishedAdapter(
            BASE,
            AdapterConfig.mixlora(
                BASE, 2, 4, List.of("q_proj", "gate_proj", "up_proj"), 4, 2, 0.02));
    String otherBase =
        publishedAdapter(
            OTHER_BASE, AdapterConfig.lora(OTHER_BASE, 4, 8, List.of("q_proj"), false, false));

    var onOtherBase = loraJob();
    ((ObjectNode) onOtherBase.get("output")).put("adapter", otherBase);
    var existingOutput = loraJob();
    ((ObjectNode) existingOutput.get("output")).put("adapter", lora);
    var routerOnLora = routerJob(lora + "@1");
    var routerMissing = routerJob(mix + "@9");
    var router = routerJob(mix + "@1");

    assertThat(fields(problem(postJson("/api/v1/jobs", trainer, onOtherBase.toString()), 422)))
        .contains("output.adapter");
    assertThat(postJson("/api/v1/jobs", trainer, existingOutput.toString()).status())
        .isEqualTo(202);
    assertThat(fields(problem(postJson("/api/v1/jobs", trainer, routerOnLora.toString()), 422)))
        .contains("router.from");
    assertThat(fields(problem(postJson("/api/v1/jobs", trainer, routerMissing.toString()), 422)))
        .contains("router.from");
    var accepted = postJson("/api/v1/jobs", trainer, router.toString());
    assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
    assertThat(accepted.json().get("router").get("from").asString()).isEqualTo(mix + "@1");
  }

  private ObjectNode routerJob(String from) {
    var job = loraJob();
    job.put("method", "ROUTER");
    job.remove("lora");
    job.putObject("router").put("from", from);
    return job;
  }

  @Test
  void scopesLimitTheOutputAdapterAndTheDatasets() throws Exception {
    String team = "sc" + unique().replace("-", "") + "-";
    String scoped = tokenWith(List.of(team), Role.TRAINER);
    var outside = loraJob();
    var ownData = loraJob();
    ((ObjectNode) ownData.get("output")).put("adapter", team + "out");
    var ownAll = ownData.deepCopy();
    ownAll.put("dataset", dataset(team + "data"));

    problem(postJson("/api/v1/jobs", scoped, outside.toString()), 403);
    // The dataset lies outside the token's scopes: for it, it does not exist.
    assertThat(fields(problem(postJson("/api/v1/jobs", scoped, ownData.toString()), 422)))
        .contains("dataset");
    var accepted = postJson("/api/v1/jobs", scoped, ownAll.toString());
    assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
    String foreign =
        postJson("/api/v1/jobs", ADMIN, loraJob().toString()).json().get("id").asString();
    problem(get("/api/v1/jobs/" + foreign, scoped), 404);
    assertThat(ids(get("/api/v1/jobs?limit=500", scoped).json()))
        .containsExactly(accepted.json().get("id").asString());
  }

  @Test
  void streamsTheJobsStateChangesResumingAfterLastEventId() throws Exception {
    String trainer = tokenWith(Role.TRAINER);
    String id = postJson("/api/v1/jobs", trainer, loraJob().toString()).json().get("id").asString();
    postJson("/api/v1/jobs/" + id + ":cancel", trainer, "");

    var all = get("/api/v1/jobs/" + id + "/events", trainer);
    var events = sse(all.body());
    var resumed =
        get("/api/v1/jobs/" + id + "/events", trainer, "Last-Event-ID", events.get(0).id());

    assertThat(all.status()).isEqualTo(200);
    assertThat(all.contentType()).startsWith("text/event-stream");
    assertThat(events).extracting(Sse::event).containsExactly("state", "state");
    assertThat(events)
        .extracting(e -> JSON.readTree(e.data()).get("state").asString())
        .containsExactly("QUEUED", "CANCELLED");
    assertThat(sse(resumed.body()))
        .extracting(e -> JSON.readTree(e.data()).get("state").asString())
        .containsExactly("CANCELLED");
  }

  @Test
  void queuesOnTrainingJobsKeyedByBaseModelAndPublishesEveryTransition(BackendEndpoints backends)
      throws Exception {
    String trainer = tokenWith(Role.TRAINER);
    String id = postJson("/api/v1/jobs", trainer, loraJob().toString()).json().get("id").asString();
    postJson("/api/v1/jobs/" + id + ":cancel", trainer, "");

    var submitted = consume(backends, "training.jobs", id, 1);
    var transitions = consume(backends, "training.events", id, 2);

    assertThat(submitted).hasSize(1);
    assertThat(submitted.getFirst().key()).isEqualTo(BASE);
    var envelope = JSON.readTree(submitted.getFirst().value());
    assertThat(envelope.get("type").asString()).isEqualTo("JOB_SUBMITTED");
    assertThat(envelope.get("payload").get("baseModel").asString()).isEqualTo(BASE);
    assertThat(transitions).extracting(ConsumerRecord::key).containsOnly(id);
    assertThat(transitions)
        .extracting(r -> JSON.readTree(r.value()).get("payload").get("to").asString())
        .containsExactly("QUEUED", "CANCELLED");
    var schema = eventSchema();
    var jackson2 = new com.fasterxml.jackson.databind.ObjectMapper();
    for (var r : Stream.concat(submitted.stream(), transitions.stream()).toList()) {
      assertThat(schema.validate(jackson2.readTree(r.value()))).as(r.value()).isEmpty();
    }
  }

  private static JsonSchema eventSchema() throws Exception {
    try (var in = JobApiTest.class.getResourceAsStream("/events/training-events.schema.json")) {
      assertThat(in).as("platform-api ships events/training-events.schema.json").isNotNull();
      return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
    }
  }

  private static List<ConsumerRecord<String, String>> consume(
      BackendEndpoints backends, String topic, String jobId, int expected) {
    var props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, backends.kafkaBootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "training-test-" + unique());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    var found = new ArrayList<ConsumerRecord<String, String>>();
    try (var consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      var deadline = Instant.now().plus(Duration.ofSeconds(60));
      while (found.size() < expected && Instant.now().isBefore(deadline)) {
        for (var r : consumer.poll(Duration.ofMillis(500))) {
          if (r.value().contains(jobId)) {
            found.add(r);
          }
        }
      }
    }
    return found;
  }

  record Sse(String id, String event, String data) {}

  static List<Sse> sse(String body) {
    var out = new ArrayList<Sse>();
    for (String block : body.split("\n\n")) {
      String id = null;
      String event = null;
      String data = null;
      for (String line : block.split("\n")) {
        if (line.startsWith("id: ")) {
          id = line.substring(4);
        } else if (line.startsWith("event: ")) {
          event = line.substring(7);
        } else if (line.startsWith("data: ")) {
          data = line.substring(6);
        }
      }
      if (id != null) {
        out.add(new Sse(id, event, data));
      }
    }
    return out;
  }

  static List<String> ids(JsonNode page) {
    return page.get("items").valueStream().map(i -> i.get("id").asString()).toList();
  }

  static List<String> fields(JsonNode problem) {
    return problem.get("errors").valueStream().map(e -> e.get("field").asString()).toList();
  }
}
