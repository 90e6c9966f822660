package io.adapterplatform.training.worker;

import static io.adapterplatform.training.worker.WorkerFixtures.doraWithDropout;
import static io.adapterplatform.training.worker.WorkerFixtures.maxRelativeDifference;
import static io.adapterplatform.training.worker.WorkerFixtures.mixLora;
import static io.adapterplatform.training.worker.WorkerFixtures.runToEnd;
import static io.adapterplatform.training.worker.WorkerFixtures.tensors;
import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.engine.model.BaseModel;
import io.minio.StatObjectArgs;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker stopped mid-job and a new one resuming from the object store (real S3Proxy). */
class CheckpointResumeTest {

  static final int STEPS = 8;

  @TempDir Path exports;

  @Test
  void jobsClosedMidRunResumeInANewRunnerAndEndAsAnUninterruptedRun() throws Exception {
    String bucket = "resume-" + UUID.randomUUID();
    var store = new ObjectStoreCheckpointStore(WorkerFixtures.s3(), bucket);
    var reference = new WorkerFixtures.Recorder();
    var first = new WorkerFixtures.Recorder();
    var second = new WorkerFixtures.Recorder();

    try (BaseModel model = WorkerFixtures.model();
        var runner = new FusedRunner(model, "tiny", 2, store, exports.resolve("ref"), reference)) {
      runner.admit(doraWithDropout("ref-dora", STEPS, 3));
      runner.admit(mixLora("ref-mix", STEPS, 3));
      runToEnd(runner, STEPS + 1);
    }
    try (BaseModel model = WorkerFixtures.model();
        var runner = new FusedRunner(model, "tiny", 2, store, exports.resolve("run"), first)) {
      runner.admit(doraWithDropout("dora", STEPS, 3));
      runner.admit(mixLora("mix", STEPS, 3));
      for (int s = 0; s < 5; s++) {
        runner.runStep();
      }
    }
    try (BaseModel model = WorkerFixtures.model();
        var runner = new FusedRunner(model, "tiny", 2, store, exports.resolve("run"), second)) {
      runner.admit(doraWithDropout("dora", STEPS, 3));
      runner.admit(mixLora("mix", STEPS, 3));
      runToEnd(runner, STEPS);
    }

    assertThat(first.checkpoints).containsExactly("dora@3", "mix@3", "dora@5", "mix@5");
    assertThat(first.finished).isEmpty();
    var s3 = WorkerFixtures.s3();
    for (String key :
        new String[] {"training/checkpoints/dora/3.zip", "training/checkpoints/mix/5.zip"}) {
      assertThat(s3.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build()).size())
          .isPositive();
    }
    assertThat(second.resumed).containsEntry("dora", 5).containsEntry("mix", 5);
    assertThat(second.of("dora")).extracting(JobProgress::step).containsExactly(6, 7, 8);
    assertThat(second.of("mix").getFirst().fusedWith()).containsExactly("dora");
    assertThat(second.finished).containsOnlyKeys("dora", "mix");
    for (String job : new String[] {"dora", "mix"}) {
      assertThat(
              maxRelativeDifference(
                  tensors(second.finished.get(job).adapterDir()),
                  tensors(reference.finished.get("ref-" + job).adapterDir())))
          .as("job %s resumed vs uninterrupted", job)
          .isLessThanOrEqualTo(1e-5);
      assertThat(second.finished.get(job).finalLoss())
          .isEqualTo(reference.finished.get("ref-" + job).finalLoss());
    }
  }

  @Test
  void latestIsTheHighestStepAndDeleteAllRemovesEveryCheckpoint() {
    var store = WorkerFixtures.store();
    store.put("job-1", 2, new byte[] {2});
    store.put("job-1", 10, new byte[] {10});
    store.put("job-1", 9, new byte[] {9});
    store.put("job-10", 50, new byte[] {50});

    assertThat(store.latest("job-1")).hasValueSatisfying(c -> assertThat(c.step()).isEqualTo(10));
    assertThat(store.latest("job-1").orElseThrow().bytes()).containsExactly(10);
    assertThat(store.latest("job-2")).isEmpty();

    store.deleteAll("job-1");

    assertThat(store.latest("job-1")).isEmpty();
    assertThat(store.latest("job-10")).isPresent();
  }
}
