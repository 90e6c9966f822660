package io.adapterplatform.engine.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.testing.TinyModels;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A job checkpointed at step k and restored into a fresh job (new manager) ends where the
 * uninterrupted job ends.
 */
class JobCheckpointTest {

  static ModelDims dims = TinyModels.smallDims();
  static BaseModel model;

  @BeforeAll
  static void loadModel() {
    model = TinyTraining.model(dims, 404);
  }

  @AfterAll
  static void closeModel() {
    model.close();
  }

  /**
   * LoRA, DoRA and MixLoRA with dropout and jitter and a LoRA accumulating two micro-batches, fused
   * (their data orders cross an epoch within the run); checkpoints through a directory or a stream.
   */
  @ParameterizedTest
  @ValueSource(strings = {"directory", "stream"})
  void fusedJobsResumedFromACheckpointEndBitForBitAsUninterrupted(
      String medium, @TempDir Path dir) {
    int total = 5;
    int at = 2;
    List<Function<BaseModel, TrainingJob>> makers =
        new ArrayList<>(FusedTrainerTest.threeJobs(0.1));
    makers.add( // two micro-batches per step: their masks are seeded by (step, micro-batch)
        m ->
            TrainingJob.lora(
                "accumulating",
                m,
                LoraSpec.qv(2, 4).withDropout(0.2),
                new TrainingConfig(
                    17,
                    2,
                    AdamW.Hyper.defaults(),
                    new LrSchedule(0.02, 1, 5, LrSchedule.Decay.LINEAR),
                    2),
                TinyTraining.randomTask(dims.vocabSize(), 7, 3, 8, 18)));
    var trainer = new FusedTrainer(model);

    List<TrainingJob> uninterrupted = make(makers);
    List<StepReport> lastReports = null;
    for (int s = 0; s < total; s++) {
      lastReports = trainer.step(uninterrupted);
    }

    List<TrainingJob> first = make(makers);
    for (int s = 0; s < at; s++) {
      trainer.step(first);
    }
    List<JobCheckpoint> saved = new ArrayList<>();
    for (int j = 0; j < first.size(); j++) {
      JobCheckpoint c = first.get(j).checkpoint();
      if (medium.equals("directory")) {
        c.write(dir.resolve("job-" + j));
        saved.add(JobCheckpoint.read(dir.resolve("job-" + j)));
      } else {
        byte[] bytes = c.toByteArray();
        assertThat(first.get(j).checkpoint().toByteArray()).isEqualTo(bytes); // reproducible
        saved.add(JobCheckpoint.readFrom(new ByteArrayInputStream(bytes)));
      }
    }
    first.forEach(TrainingJob::close); // the worker died

    List<TrainingJob> resumed = make(makers);
    for (int j = 0; j < resumed.size(); j++) {
      resumed.get(j).restore(saved.get(j));
      assertThat(resumed.get(j).optimizer().stepsTaken()).isEqualTo(at);
    }
    List<StepReport> resumedReports = null;
    for (int s = at; s < total; s++) {
      resumedReports = trainer.step(resumed);
    }

    for (int j = 0; j < resumed.size(); j++) {
      Map<String, double[]> expected = FusedTrainerTest.snapshot(uninterrupted.get(j));
      Map<String, double[]> actual = FusedTrainerTest.snapshot(resumed.get(j));
      assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
      for (String name : expected.keySet()) {
        assertThat(actual.get(name))
            .as("%s %s", resumed.get(j).id(), name)
            .containsExactly(expected.get(name));
      }
      assertThat(resumedReports.get(j).loss()).isEqualTo(lastReports.get(j).loss());
      assertThat(resumedReports.get(j).step()).isEqualTo(total - 1);
      assertThat(resumed.get(j).epoch()).isEqualTo(uninterrupted.get(j).epoch()).isPositive();
      assertThat(resumed.get(j).indexInEpoch()).isEqualTo(uninterrupted.get(j).indexInEpoch());
    }
    uninterrupted.forEach(TrainingJob::close);
    resumed.forEach(TrainingJob::close);
  }

  @Test
  void aCheckpointRefusesAJobItWasNotWrittenFor() {
    var makers = FusedTrainerTest.threeJobs(0.0);
    try (TrainingJob lora = makers.get(0).apply(model);
        TrainingJob dora = makers.get(1).apply(model)) {
      JobCheckpoint c = lora.checkpoint();
      assertThatThrownBy(() -> dora.restore(c))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("job lora restored into job dora")
          .hasMessageContaining("a LORA checkpoint for a DORA job");
    }
  }

  @Test
  void theStateFileSaysWhereTheJobStands(@TempDir Path dir) throws Exception {
    try (TrainingJob job = FusedTrainerTest.threeJobs(0.0).get(0).apply(model)) {
      var trainer = new FusedTrainer(model);
      for (int s = 0; s < 4; s++) { // 7 examples, 2 per step: the 4th step starts epoch 1
        trainer.step(List.of(job));
      }
      job.checkpoint().write(dir);
      String json = Files.readString(dir.resolve(JobCheckpoint.STATE_FILE));
      assertThat(json)
          .contains("\"step\": 4", "\"epoch\": 1", "\"indexInEpoch\": 1", "\"examples\": 7");
      // LoRA on q and v of every layer: A and B, each with two moments
      assertThat(JobCheckpoint.read(dir).tensors()).hasSize(2 * 2 * 3 * dims.numLayers());
    }
  }

  private static List<TrainingJob> make(List<Function<BaseModel, TrainingJob>> makers) {
    List<TrainingJob> jobs = new ArrayList<>();
    makers.forEach(f -> jobs.add(f.apply(model)));
    return jobs;
  }
}
