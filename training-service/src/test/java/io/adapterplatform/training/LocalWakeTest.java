package io.adapterplatform.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * A job submitted to this process starts without waiting for a poll or for its Kafka event: with
 * both ten minutes away, only the wake that follows the submitting transaction can start it.
 */
@TestPropertySource(
    properties = {
      "platform.training.worker.poll-interval=10m",
      "platform.training.relay-interval=10m",
      "platform.training.worker.fuse-window=0s"
    })
class LocalWakeTest extends WorkerTestBase {

  @Test
  void aJobQueuedInThisProcessWakesItsWorkerWhenItsTransactionCommits() throws Exception {
    ensureTrainableBase();
    String dataset = taskDataset(16, 5);
    // The worker's first look for jobs, at start-up, found none; the next poll is ten minutes out.
    String id =
        submit(
            """
            {"baseModel": "%s", "dataset": "%s", "output": {"adapter": "wake-%s"}, "method": "LORA",
             "lora": {"r": 2, "alpha": 4, "targetModules": ["q_proj"]},
             "training": {"steps": 2, "batchSize": 2, "learningRate": 0.01, "warmupSteps": 0,
                          "maxSeqLen": 16, "seed": 1, "checkpointEvery": 10}}"""
                .formatted(TRAINABLE, dataset, unique()));

    JsonNode done =
        awaitJob(id, Duration.ofMinutes(2), j -> j.get("state").asString().equals("SUCCEEDED"));

    assertThat(done.get("attempts").asInt()).isEqualTo(1);
    assertThat(done.get("progress").get("step").asInt()).isEqualTo(2);
  }
}
