package io.adapterplatform.training;

import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import io.adapterplatform.embedded.BackendEndpoints;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * What a trained job puts on Kafka {@code training.events}, read back with a real consumer of the
 * embedded broker. The worker tests run with {@code progress-event-interval} 1h, so that exactly
 * the first and last step of a job are its {@code JOB_PROGRESS} events.
 */
class TrainingEventsTest extends WorkerTestBase {

  private static final int STEPS = 12;
  private static final int CHECKPOINT_EVERY = 4;

  @Test
  void aTrainedJobsTransitionsThrottledProgressEvalPointsAndCheckpointsReachKafkaInOrder(
      BackendEndpoints backends) throws Exception {
    ensureTrainableBase();
    String id =
        submit(
            """
            {"baseModel": "%s", "dataset": "%s", "output": {"adapter": "evented-%s"},
             "method": "LORA", "lora": {"r": 4, "alpha": 8, "targetModules": ["q_proj", "v_proj"]},
             "training": {"steps": %d, "batchSize": 4, "learningRate": 0.03, "maxSeqLen": 16,
                          "seed": 7, "evalFraction": 0.25, "evalEvery": 8,
                          "checkpointEvery": %d}}"""
                .formatted(TRAINABLE, taskDataset(16, 9), unique(), STEPS, CHECKPOINT_EVERY));

    var records = consumeUntilEnded(backends, id);

    assertThat(records).extracting(ConsumerRecord::key).containsOnly(id);
    var schema =
        JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
            .getSchema(getClass().getResourceAsStream("/events/training-events.schema.json"));
    var jackson2 = new com.fasterxml.jackson.databind.ObjectMapper();
    for (var r : records) {
      assertThat(schema.validate(jackson2.readTree(r.value()))).as(r.value()).isEmpty();
    }
    var envelopes = records.stream().map(r -> JSON.readTree(r.value())).toList();
    assertThat(payloads(envelopes, "JOB_STATE_CHANGED"))
        .extracting(p -> p.get("to").asString())
        .containsExactly("QUEUED", "RUNNING", "SUCCEEDED");
    assertThat(envelopes.getLast().get("payload").path("to").asString()).isEqualTo("SUCCEEDED");
    int running = indexOf(envelopes, "JOB_STATE_CHANGED", "RUNNING");
    assertThat(indexOf(envelopes, "JOB_PROGRESS", null)).isGreaterThan(running);

    var progress = payloads(envelopes, "JOB_PROGRESS");
    var metrics = get("/api/v1/jobs/" + id + "/metrics", ADMIN).json();
    assertThat(metrics.get("steps")).hasSize(STEPS);
    assertThat(progress).extracting(p -> p.get("step").asInt()).containsExactly(1, STEPS);
    assertThat(progress).allSatisfy(p -> assertThat(p.get("totalSteps").asInt()).isEqualTo(STEPS));
    assertThat(progress.getLast().get("loss").asDouble())
        .isEqualTo(metrics.get("steps").get(STEPS - 1).get("loss").asDouble());
    assertThat(progress)
        .allSatisfy(p -> assertThat(p.get("baseModel").asString()).isEqualTo(TRAINABLE));

    var evalSteps = metrics.get("evals").valueStream().map(e -> e.get("step").asInt()).toList();
    assertThat(evalSteps).contains(8, STEPS);
    assertThat(payloads(envelopes, "JOB_EVALUATED"))
        .extracting(p -> p.get("step").asInt())
        .containsExactlyInAnyOrderElementsOf(evalSteps);

    var checkpoints = payloads(envelopes, "JOB_CHECKPOINTED");
    assertThat(checkpoints)
        .extracting(p -> p.get("step").asInt())
        .contains(CHECKPOINT_EVERY, 2 * CHECKPOINT_EVERY)
        .allSatisfy(step -> assertThat(step % CHECKPOINT_EVERY).isZero());
    assertThat(checkpoints).allSatisfy(p -> assertThat(p.get("size").asLong()).isPositive());
  }

  private static List<JsonNode> payloads(List<JsonNode> envelopes, String type) {
    return envelopes.stream()
        .filter(e -> e.get("type").asString().equals(type))
        .map(e -> e.get("payload"))
        .toList();
  }

  private static int indexOf(List<JsonNode> envelopes, String type, String to) {
    for (int i = 0; i < envelopes.size(); i++) {
      var e = envelopes.get(i);
      if (e.get("type").asString().equals(type)
          && (to == null || to.equals(e.get("payload").path("to").asString()))) {
        return i;
      }
    }
    return -1;
  }

  /** The job's records on training.events, up to its SUCCEEDED transition (3 minutes at most). */
  private static List<ConsumerRecord<String, String>> consumeUntilEnded(
      BackendEndpoints backends, String jobId) {
    var props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, backends.kafkaBootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "training-events-test-" + unique());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    var found = new ArrayList<ConsumerRecord<String, String>>();
    try (var consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of("training.events"));
      var deadline = Instant.now().plus(Duration.ofMinutes(3));
      while (Instant.now().isBefore(deadline)) {
        for (var r : consumer.poll(Duration.ofMillis(500))) {
          if (jobId.equals(r.key())) {
            found.add(r);
            if (r.value().contains("\"to\":\"SUCCEEDED\"")
                || r.value().contains("\"to\":\"FAILED\"")) {
              return found;
            }
          }
        }
      }
    }
    throw new AssertionError("job " + jobId + " did not end on training.events: " + found);
  }
}
