package io.adapterplatform.engine.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.adapterplatform.engine.adapter.AdapterCheckpoint;
import io.adapterplatform.engine.adapter.MixLora;
import io.adapterplatform.engine.format.DType;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.format.SafetensorsFile;
import io.adapterplatform.engine.format.TensorInfo;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.testing.TinyModels;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ROUTER jobs: only the router of an existing MixLoRA trains; experts and attention LoRA stay bit
 * for bit.
 */
class RouterTrainingTest {

  static ModelDims dims = TinyModels.smallDims();
  static BaseModel model;
  static final int[] CYCLE = {3, 41, 17, 58, 9, 26, 33, 50};

  @BeforeAll
  static void loadModel() {
    model = TinyTraining.model(dims, 606);
  }

  @AfterAll
  static void closeModel() {
    model.close();
  }

  /**
   * A MixLoRA trained on the cycle task, stored in BF16, its routers then replaced by random ones
   * (so that the experts no longer get the tokens they learned): what a router job starts from.
   */
  static AdapterCheckpoint input(Path dir) {
    var spec = new MixLoraSpec(4, 2, 4, 8, 0.02, 0.01f, 0f, EnumSet.of(Projection.Q, Projection.V));
    var config =
        new TrainingConfig(
            5,
            4,
            new AdamW.Hyper(0.9, 0.999, 1e-8, 0.0, 1.0),
            new LrSchedule(0.03, 2, 10, LrSchedule.Decay.COSINE));
    try (TrainingJob job =
        TrainingJob.mixLora(
            "experts", model, spec, config, TinyTraining.cycleTask(CYCLE, 16, 10, 1))) {
      var trainer = new FusedTrainer(model);
      for (int s = 0; s < 10; s++) {
        trainer.step(List.of(job));
      }
      AdapterExport.write(job.adapter(), "tiny-llama", dir.resolve("trained"));
    }
    AdapterCheckpoint trained =
        AdapterCheckpoint.read(dir.resolve("trained"), TinyModels.config(dims));
    MixLora w = (MixLora) trained.weights();
    var rng = new SplittableRandom(77);
    Map<Integer, float[]> routers = new java.util.HashMap<>();
    w.routers().forEach((l, r) -> routers.put(l, Float64.randomFloats(rng, r.length, 0.5)));
    var scrambled =
        new MixLora(
            w.rank(),
            w.scaling(),
            w.expertRank(),
            w.expertScaling(),
            w.numExperts(),
            w.topK(),
            routers,
            w.modules(),
            w.experts());
    AdapterCheckpoint.of(trained.config(), scrambled, DType.BF16).write(dir.resolve("input"));
    return AdapterCheckpoint.read(dir.resolve("input"), TinyModels.config(dims));
  }

  static TrainingConfig routerConfig() {
    return new TrainingConfig(
        8, 4, new AdamW.Hyper(0.9, 0.999, 1e-8, 0.0, 1.0), LrSchedule.constant(0.05));
  }

  @Test
  void theRouterLearnsWhileExpertsAndAttentionStayBitForBitAndTheExportKeepsTheirBytes(
      @TempDir Path dir) throws Exception {
    AdapterCheckpoint from = input(dir);
    List<TrainingExample> data = TinyTraining.cycleTask(CYCLE, 16, 10, 1);
    try (TrainingJob job = TrainingJob.router("router", model, from, routerConfig(), data)) {
      Map<String, double[]> before = FusedTrainerTest.snapshot(job);
      assertThat(job.optimizer().parameters()).hasSize(dims.numLayers()); // the routers only
      var trainer = new FusedTrainer(model);
      double first = trainer.evalLoss(job, data);
      for (int s = 0; s < 12; s++) {
        trainer.step(List.of(job));
      }
      double last = trainer.evalLoss(job, data);
      assertThat(last).isLessThan(0.9 * first);

      Map<String, double[]> after = FusedTrainerTest.snapshot(job);
      for (String name : before.keySet()) {
        if (name.endsWith("moe_gate.weight")) {
          assertThat(Float64.maxRelativeError(after.get(name), before.get(name)))
              .as(name)
              .isGreaterThan(1e-3);
        } else {
          assertThat(after.get(name)).as(name).containsExactly(before.get(name));
        }
      }

      Path out = dir.resolve("output");
      AdapterExport.write(job.adapter(), "tiny-llama", out);
      assertThat(Files.readAllBytes(out.resolve(AdapterCheckpoint.CONFIG_FILE)))
          .isEqualTo(
              Files.readAllBytes(dir.resolve("input").resolve(AdapterCheckpoint.CONFIG_FILE)));
      try (SafetensorsFile in =
              SafetensorsFile.open(dir.resolve("input").resolve(AdapterCheckpoint.WEIGHTS_FILE));
          SafetensorsFile exported =
              SafetensorsFile.open(out.resolve(AdapterCheckpoint.WEIGHTS_FILE))) {
        assertThat(exported.header().names())
            .containsExactlyInAnyOrderElementsOf(in.header().names());
        int frozen = 0;
        for (TensorInfo t : in.header().tensors()) {
          if (t.name().endsWith("moe_gate.weight")) {
            assertThat(exported.header().require(t.name()).dtype()).isEqualTo(DType.F32);
            assertThat(exported.readFloats(t.name()))
                .containsExactly(job.adapter().namedTensors().get(t.name()).toFloatArray());
          } else {
            assertThat(t.dtype()).isEqualTo(DType.BF16);
            assertThat(exported.readBytes(t.name())).as(t.name()).isEqualTo(in.readBytes(t.name()));
            frozen++;
          }
        }
        assertThat(frozen).isEqualTo(in.header().tensors().size() - dims.numLayers());
      }

      // the published adapter serves what the router job trained
      AdapterCheckpoint back = AdapterCheckpoint.read(out, TinyModels.config(dims));
      int[] tokens = {3, 41, 17, 58, 9, 26};
      assertThat(ServedAsTrained.of(model, job, back.weights(), tokens).servedError())
          .isLessThan(1e-4);
    }
  }

  @Test
  void aRouterJobResumesBitForBitAndFusesWithOtherJobs(@TempDir Path dir) {
    AdapterCheckpoint from = input(dir);
    List<TrainingExample> data = TinyTraining.cycleTask(CYCLE, 9, 8, 2);
    java.util.function.Function<BaseModel, TrainingJob> router =
        m -> TrainingJob.router("router", m, from, routerConfig(), data);
    var makers = new ArrayList<>(FusedTrainerTest.threeJobs(0.1).subList(0, 2));
    makers.add(router);
    FusedTrainerTest.assertFusedEqualsAlone(model, makers, 3, 1e-4);

    var trainer = new FusedTrainer(model);
    try (TrainingJob whole = router.apply(model);
        TrainingJob interrupted = router.apply(model)) {
      for (int s = 0; s < 4; s++) {
        trainer.step(List.of(whole));
      }
      trainer.step(List.of(interrupted));
      byte[] saved = interrupted.checkpoint().toByteArray();
      try (TrainingJob resumed = router.apply(model)) {
        resumed.restore(JobCheckpoint.readFrom(new ByteArrayInputStream(saved)));
        for (int s = 1; s < 4; s++) {
          trainer.step(List.of(resumed));
        }
        Map<String, double[]> expected = FusedTrainerTest.snapshot(whole);
        Map<String, double[]> actual = FusedTrainerTest.snapshot(resumed);
        for (String name : expected.keySet()) {
          assertThat(actual.get(name)).as(name).containsExactly(expected.get(name));
        }
      }
    }
  }

  @Test
  void aRouterJobNeedsAMixLora(@TempDir Path dir) {
    try (TrainingJob lora =
        TrainingJob.lora(
            "lora",
            model,
            LoraSpec.qv(2, 4),
            routerConfig(),
            TinyTraining.cycleTask(CYCLE, 2, 4, 1))) {
      AdapterExport.write(lora.adapter(), "tiny-llama", dir);
    }
    AdapterCheckpoint plain = AdapterCheckpoint.read(dir, TinyModels.config(dims));
    assertThatThrownBy(
            () ->
                TrainingJob.router(
                    "r", model, plain, routerConfig(), TinyTraining.cycleTask(CYCLE, 2, 4, 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs a MixLoRA");
  }
}
