package io.adapterplatform.training.worker;

import static io.adapterplatform.training.worker.WorkerFixtures.doraWithDropout;
import static io.adapterplatform.training.worker.WorkerFixtures.lora;
import static io.adapterplatform.training.worker.WorkerFixtures.maxRelativeDifference;
import static io.adapterplatform.training.worker.WorkerFixtures.mixLora;
import static io.adapterplatform.training.worker.WorkerFixtures.runToEnd;
import static io.adapterplatform.training.worker.WorkerFixtures.tensors;
import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.engine.model.BaseModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FusedRunnerTest {

  static final int STEPS = 12;
  static ObjectStoreCheckpointStore store;

  @TempDir Path exports;

  @BeforeAll
  static void objectStore() {
    store = WorkerFixtures.store();
  }

  @Test
  void threeJobsFusedEndWhereEachEndsAloneAndSeeTheOthersInFusedWith() {
    List<WorkerJob> jobs =
        List.of(
            lora("fused-lora", STEPS, 100),
            doraWithDropout("fused-dora", STEPS, 100),
            mixLora("fused-mix", STEPS, 100));
    List<WorkerJob> alone =
        List.of(
            lora("alone-lora", STEPS, 100),
            doraWithDropout("alone-dora", STEPS, 100),
            mixLora("alone-mix", STEPS, 100));
    var fused = new WorkerFixtures.Recorder();
    var solo = new WorkerFixtures.Recorder();

    try (BaseModel model = WorkerFixtures.model()) {
      try (var runner = new FusedRunner(model, "tiny", 3, store, exports, fused)) {
        jobs.forEach(j -> assertThat(runner.admit(j)).isTrue());
        runToEnd(runner, STEPS + 1);
      }
      for (WorkerJob job : alone) {
        try (var runner = new FusedRunner(model, "tiny", 3, store, exports, solo)) {
          assertThat(runner.admit(job)).isTrue();
          runToEnd(runner, STEPS + 1);
        }
      }
    }

    assertThat(fused.failed).isEmpty();
    assertThat(fused.finished).containsOnlyKeys("fused-lora", "fused-dora", "fused-mix");
    for (int i = 0; i < jobs.size(); i++) {
      String id = jobs.get(i).id();
      List<String> others = jobs.stream().map(WorkerJob::id).filter(o -> !o.equals(id)).toList();
      List<JobProgress> steps = fused.of(id);
      assertThat(steps).hasSize(STEPS);
      assertThat(steps).allSatisfy(p -> assertThat(p.fusedWith()).isEqualTo(others));
      assertThat(steps).extracting(JobProgress::step).containsExactlyElementsOf(range(STEPS));
      assertThat(steps).allSatisfy(p -> assertThat(p.totalSteps()).isEqualTo(STEPS));
      assertThat(steps).allSatisfy(p -> assertThat(p.tokensPerSecond()).isPositive());
      assertThat(solo.of(alone.get(i).id())).allSatisfy(p -> assertThat(p.fusedWith()).isEmpty());

      assertThat(
              maxRelativeDifference(
                  tensors(fused.finished.get(id).adapterDir()),
                  tensors(solo.finished.get(alone.get(i).id()).adapterDir())))
          .as("job %s fused vs alone", id)
          .isLessThanOrEqualTo(1e-4);
      double first = steps.getFirst().loss();
      double last = steps.getLast().loss();
      assertThat(last).as("job %s learns the cycle", id).isLessThan(0.5 * first);
    }
    assertThat(fused.finished.get("fused-lora").evalLoss()).isPresent();
    assertThat(fused.finished.get("fused-lora").evalLoss().getAsDouble())
        .isLessThan(fused.of("fused-lora").getFirst().loss());
    assertThat(fused.finished.get("fused-mix").evalLoss()).isEmpty();
    assertThat(fused.of("fused-mix")).anySatisfy(p -> assertThat(p.auxLoss()).isPositive());
  }

  @Test
  void admitsNoMoreThanMaxFusedJobsAndJobsJoinAtTheNextStep() {
    var heard = new WorkerFixtures.Recorder();

    try (BaseModel model = WorkerFixtures.model();
        var runner = new FusedRunner(model, "tiny", 2, store, exports, heard)) {
      assertThat(runner.admit(lora("cap-a", 3, 100))).isTrue();
      assertThat(runner.admit(lora("cap-a", 3, 100))).as("same id twice").isFalse();
      runner.runStep();
      assertThat(runner.admit(mixLora("cap-b", 3, 100))).isTrue();
      assertThat(runner.admit(lora("cap-c", 3, 100))).as("full").isFalse();
      runToEnd(runner, 10);
    }

    assertThat(heard.of("cap-a").getFirst().fusedWith()).isEmpty();
    assertThat(heard.of("cap-a").get(1).fusedWith()).containsExactly("cap-b");
    assertThat(heard.of("cap-b").getFirst().fusedWith()).containsExactly("cap-a");
    assertThat(heard.of("cap-b").getLast().fusedWith()).isEmpty();
    assertThat(heard.finished).containsOnlyKeys("cap-a", "cap-b");
  }

  @Test
  void aCancelledJobLeavesAtTheNextStepWithoutExportWhileItsPartnerGoesOn() {
    var heard = new WorkerFixtures.Recorder();

    try (BaseModel model = WorkerFixtures.model();
        var runner = new FusedRunner(model, "tiny", 3, store, exports, heard)) {
      runner.admit(lora("cancel-me", 6, 100));
      runner.admit(doraWithDropout("keep-me", 6, 100));
      runner.runStep();
      runner.runStep();
      runner.cancel("cancel-me");
      runToEnd(runner, 10);
    }

    assertThat(heard.cancelled).containsExactly("cancel-me");
    assertThat(heard.of("cancel-me")).hasSize(2);
    assertThat(heard.of("keep-me")).hasSize(6);
    assertThat(heard.of("keep-me").get(2).fusedWith()).isEmpty();
    assertThat(heard.finished).containsOnlyKeys("keep-me");
    assertThat(Files.exists(exports.resolve("cancel-me"))).isFalse();
  }

  private static List<Integer> range(int n) {
    return java.util.stream.IntStream.rangeClosed(1, n).boxed().toList();
  }
}
