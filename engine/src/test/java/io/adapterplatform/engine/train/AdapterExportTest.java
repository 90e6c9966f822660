package io.adapterplatform.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import io.adapterplatform.engine.adapter.AdapterCheckpoint;
import io.adapterplatform.engine.format.AdapterConfig;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.format.SafetensorsFile;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.testing.TinyModels;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AdapterExportTest {

  static ModelDims dims = TinyModels.smallDims();
  static BaseModel model;

  @BeforeAll
  static void loadModel() {
    model = TinyTraining.model(dims, 202);
  }

  @AfterAll
  static void closeModel() {
    model.close();
  }

  static final Map<String, Function<BaseModel, TrainingJob>> JOBS =
      Map.of(
          "lora",
              m ->
                  TrainingJob.lora(
                      "lora",
                      m,
                      LoraSpec.qv(4, 8),
                      config(),
                      TinyTraining.randomTask(dims.vocabSize(), 4, 4, 8, 1)),
          "dora",
              m ->
                  TrainingJob.lora(
                      "dora",
                      m,
                      new LoraSpec(2, 4, true, true, EnumSet.allOf(Projection.class)),
                      config(),
                      TinyTraining.randomTask(dims.vocabSize(), 4, 4, 8, 2)),
          "mixlora",
              m ->
                  TrainingJob.mixLora(
                      "mixlora",
                      m,
                      new MixLoraSpec(
                          4, 2, 2, 4, 0.5, 0.01f, 0.05f, EnumSet.of(Projection.Q, Projection.V)),
                      config(),
                      TinyTraining.randomTask(dims.vocabSize(), 4, 4, 8, 3)));

  static TrainingConfig config() {
    return new TrainingConfig(9, 2, AdamW.Hyper.defaults(), LrSchedule.constant(0.02));
  }

  @ParameterizedTest
  @ValueSource(strings = {"lora", "dora", "mixlora"})
  void exportedAdapterReadsBackToTheTrainedTensorsAndServesTheSameLogits(
      String kind, @TempDir Path dir) {
    try (TrainingJob job = JOBS.get(kind).apply(model)) {
      var trainer = new FusedTrainer(model);
      for (int s = 0; s < 3; s++) {
        trainer.step(List.of(job));
      }

      AdapterExport.write(job.adapter(), "tiny-llama", dir);

      AdapterCheckpoint back = AdapterCheckpoint.read(dir, TinyModels.config(dims));
      assertThat(back.config().kind().name()).isEqualTo(kind.toUpperCase());
      try (SafetensorsFile file =
          SafetensorsFile.open(dir.resolve(AdapterCheckpoint.WEIGHTS_FILE))) {
        Map<String, NDArray> trained = job.adapter().namedTensors();
        assertThat(file.header().tensors()).hasSize(trained.size());
        for (var e : trained.entrySet()) {
          assertThat(file.readFloats(e.getKey()))
              .as(e.getKey())
              .containsExactly(e.getValue().toFloatArray());
        }
      }
      if (job.adapter() instanceof TrainableMixLora mix) {
        AdapterConfig.MixLoraSettings settings = back.config().mixlora().orElseThrow();
        assertThat(settings.numExperts()).isEqualTo(mix.spec().experts());
        assertThat(settings.topK()).isEqualTo(mix.spec().topK());
        assertThat(settings.jitterNoise())
            .isEqualTo(mix.spec().jitterNoise(), org.assertj.core.data.Offset.offset(1e-7));
      }

      int[] tokens = {5, 9, 13, 2, 40, 63, 7, 21, 33};
      var logits = ServedAsTrained.of(model, job, back.weights(), tokens);

      assertThat(logits.servedError()).isLessThan(1e-4);
      assertThat(logits.bareDifference()).as("training moved the adapter").isGreaterThan(1e-3);
    }
  }
}
