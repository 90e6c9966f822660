package io.adapterplatform.engine.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.testing.TinyModels;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the worker feeds a job: records to examples, epochs and the shuffled order, gradient
 * accumulation, eval loss.
 */
class DataFeedingTest {

  static ModelDims dims = TinyModels.smallDims();
  static BaseModel model;

  @BeforeAll
  static void loadModel() {
    model = TinyTraining.model(dims, 505);
  }

  @AfterAll
  static void closeModel() {
    model.close();
  }

  // one token per character, inside the tiny vocabulary
  static final Function<String, int[]> CHARS =
      s -> s.chars().map(c -> 1 + c % (dims.vocabSize() - 2)).toArray();

  @Test
  void promptAndCompletionBecomeOneSequenceEndingInEosWithTheLossOnTheCompletion() {
    TrainingExample ex =
        TrainingExamples.promptCompletion(new int[] {5, 6}, new int[] {7}, 2, 16).orElseThrow();
    assertThat(ex.tokens()).containsExactly(5, 6, 7, 2);
    assertThat(ex.promptLength()).isEqualTo(2);
    assertThat(ex.completionTokens()).isEqualTo(2); // 7 and EOS

    TrainingExample text = TrainingExamples.text(new int[] {5, 6, 7}, 2, 16).orElseThrow();
    assertThat(text.tokens()).containsExactly(5, 6, 7, 2);
    assertThat(text.completionTokens()).isEqualTo(3); // every token after the first
  }

  @Test
  void longSequencesAreCutToMaxSeqLenAndRecordsLeftWithNothingToLearnAreDropped() {
    TrainingExample cut =
        TrainingExamples.promptCompletion(new int[] {5, 6}, new int[] {7, 8, 9}, 2, 4)
            .orElseThrow();
    assertThat(cut.tokens()).containsExactly(5, 6, 7, 8);
    assertThat(TrainingExamples.promptCompletion(new int[] {5, 6, 7}, new int[] {8}, 2, 3))
        .isEmpty();
    assertThat(TrainingExamples.text(new int[0], 2, 8)).isEmpty();
  }

  @Test
  void jsonlRecordsAreTokenizedByTheCallersTokenizer() {
    TrainingExample pc =
        TrainingExamples.fromRecord(
                "{\"prompt\":\"ab\",\"completion\":\"c\",\"id\":3}", CHARS, 2, 64)
            .orElseThrow();
    int[] ab = CHARS.apply("ab");
    int[] c = CHARS.apply("c");
    assertThat(pc.tokens()).containsExactly(ab[0], ab[1], c[0], 2);
    assertThat(pc.promptLength()).isEqualTo(2);
    TrainingExample text =
        TrainingExamples.fromRecord("{\"text\":\"abc\"}", CHARS, 2, 64).orElseThrow();
    assertThat(text.promptLength()).isZero();
    assertThat(text.tokens()).hasSize(4);

    assertThatThrownBy(() -> TrainingExamples.fromRecord("{\"prompt\":\"a\"}", CHARS, 2, 64))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"completion\"");
    assertThatThrownBy(() -> TrainingExamples.fromRecord("{\"text\":3}", CHARS, 2, 64))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TrainingExamples.fromRecord("[1]", CHARS, 2, 64))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TrainingExamples.fromRecord("{\"title\":\"x\"}", CHARS, 2, 64))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aHeldOutSplitIsSeededDisjointAndComplete() {
    List<TrainingExample> all = TinyTraining.randomTask(dims.vocabSize(), 20, 3, 6, 4);
    TrainingExamples.Split split = TrainingExamples.split(all, 0.25, 7);
    assertThat(split.eval()).hasSize(5);
    assertThat(split.train()).hasSize(15);
    List<TrainingExample> union = new ArrayList<>(split.train());
    union.addAll(split.eval());
    assertThat(union).containsExactlyInAnyOrderElementsOf(all);
    assertThat(TrainingExamples.split(all, 0.25, 7).eval()).isEqualTo(split.eval());
    assertThat(TrainingExamples.split(all, 0.25, 8).eval()).isNotEqualTo(split.eval());
    assertThat(TrainingExamples.split(all, 0.01, 7).eval()).hasSize(1);
    assertThat(TrainingExamples.split(all, 0.0, 7).eval()).isEmpty();
    assertThatThrownBy(() -> TrainingExamples.split(all.subList(0, 1), 0.5, 7))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("none to train on");
  }

  @Test
  void epochsAreComputedFromExamplesAndSequencesPerStep() {
    assertThat(TrainingConfig.stepsForEpochs(1, 10, 4)).isEqualTo(3);
    assertThat(TrainingConfig.stepsForEpochs(2, 10, 4)).isEqualTo(5);
    assertThat(TrainingConfig.stepsForEpochs(3, 8, 4)).isEqualTo(6);
    assertThat(TrainingConfig.stepsForEpochs(0.5, 8, 4)).isEqualTo(1);
    assertThat(
            new TrainingConfig(1, 4, AdamW.Hyper.defaults(), LrSchedule.constant(1e-3), 3)
                .sequencesPerStep())
        .isEqualTo(12);
  }

  @Test
  void everyEpochTakesEachExampleOnceInAnOrderFromTheSeed() {
    List<TrainingExample> data = TinyTraining.randomTask(dims.vocabSize(), 7, 3, 9, 1);
    List<List<Integer>> first = epochs(data, 9, 3);
    List<List<Integer>> again = epochs(data, 9, 3);
    assertThat(again).isEqualTo(first);
    for (List<Integer> epoch : first) {
      assertThat(epoch).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6);
    }
    assertThat(new HashSet<>(first)).hasSizeGreaterThan(1); // reshuffled
    assertThat(epochs(data, 10, 3)).isNotEqualTo(first); // another seed, another order
  }

  // the data indices taken in each of `count` epochs by a job of seed `seed`, batch size 2
  private static List<List<Integer>> epochs(List<TrainingExample> data, long seed, int count) {
    var config = new TrainingConfig(seed, 2, AdamW.Hyper.defaults(), LrSchedule.constant(1e-3));
    try (TrainingJob job = TrainingJob.lora("order", model, LoraSpec.qv(2, 4), config, data)) {
      List<Integer> taken = new ArrayList<>();
      while (taken.size() < data.size() * count) {
        for (TrainingExample ex : job.nextBatch()) {
          taken.add(indexOf(data, ex));
        }
      }
      List<List<Integer>> out = new ArrayList<>();
      for (int e = 0; e < count; e++) {
        out.add(taken.subList(e * data.size(), (e + 1) * data.size()));
      }
      return out;
    }
  }

  private static int indexOf(List<TrainingExample> data, TrainingExample ex) {
    for (int i = 0; i < data.size(); i++) {
      if (data.get(i) == ex) {
        return i;
      }
    }
    throw new AssertionError("not from the data set");
  }

  /** LoRA, DoRA, and MixLoRA without load-balance loss or jitter (both not linear in the batch). */
  static final Map<String, BiFunction<Integer, Integer, Function<BaseModel, TrainingJob>>> KINDS =
      Map.of(
          "lora",
          (batch, accumulation) ->
              m ->
                  TrainingJob.lora(
                      "lora", m, LoraSpec.all(4, 8), config(batch, accumulation), data(61)),
          "dora",
          (batch, accumulation) ->
              m ->
                  TrainingJob.lora(
                      "dora",
                      m,
                      new LoraSpec(2, 4, true, true, EnumSet.of(Projection.Q, Projection.DOWN)),
                      config(batch, accumulation),
                      data(62)),
          "mixlora",
          (batch, accumulation) ->
              m ->
                  TrainingJob.mixLora(
                      "mixlora",
                      m,
                      new MixLoraSpec(4, 2, 2, 4, 0.5, 0f, 0f, EnumSet.of(Projection.V)),
                      config(batch, accumulation),
                      data(63)));

  static TrainingConfig config(int batch, int accumulation) {
    return new TrainingConfig(
        71,
        batch,
        new AdamW.Hyper(0.9, 0.999, 1e-6, 0.01, 1.0),
        new LrSchedule(0.02, 1, 4, LrSchedule.Decay.LINEAR),
        accumulation);
  }

  static List<TrainingExample> data(long seed) {
    return TinyTraining.randomTask(dims.vocabSize(), 9, 3, 9, seed);
  }

  @ParameterizedTest
  @ValueSource(strings = {"lora", "dora", "mixlora"})
  void accumulatingMicroBatchesEqualsOneBigBatch(String kind) {
    var trainer = new FusedTrainer(model);
    try (TrainingJob micro = KINDS.get(kind).apply(2, 3).apply(model);
        TrainingJob big = KINDS.get(kind).apply(6, 1).apply(model)) {
      for (int s = 0; s < 3; s++) {
        StepReport a = trainer.step(List.of(micro)).get(0);
        StepReport b = trainer.step(List.of(big)).get(0);
        assertThat(a.loss()).isCloseTo(b.loss(), org.assertj.core.data.Offset.offset(1e-5));
        assertThat(a.tokens()).isEqualTo(b.tokens());
        assertThat(a.gradNorm())
            .isCloseTo(b.gradNorm(), org.assertj.core.data.Offset.offset(1e-5 * b.gradNorm()));
      }
      Map<String, double[]> expected = FusedTrainerTest.snapshot(big);
      Map<String, double[]> actual = FusedTrainerTest.snapshot(micro);
      for (String name : expected.keySet()) {
        assertThat(Float64.maxRelativeError(actual.get(name), expected.get(name)))
            .as(name)
            .isLessThan(1e-5);
      }
      assertThat(micro.indexInEpoch()).isEqualTo(big.indexInEpoch());
    }
  }

  /**
   * Jobs with 3, 1 and 2 micro-batches per step fused: each as alone, within the 1e-4 (the
   * passes have other row counts fused than alone, so other GEMM rounding; a MixLoRA router of one
   * sequence per micro-batch has near-zero gradient elements, which Adam turns into full steps, and
   * was seen 2.4e-5 off).
   */
  @Test
  void jobsWithDifferentAccumulationFusedEndWhereTheyWouldAlone() {
    List<Function<BaseModel, TrainingJob>> makers =
        List.of(
            KINDS.get("lora").apply(2, 3),
            KINDS.get("dora").apply(3, 1),
            KINDS.get("mixlora").apply(1, 2));
    FusedTrainerTest.assertFusedEqualsAlone(model, makers, 3, 1e-4);
  }

  @Test
  void evalLossIsTheMeanCompletionLossAndChangesNothing() {
    List<TrainingExample> held = TinyTraining.randomTask(dims.vocabSize(), 5, 3, 9, 99);
    var trainer = new FusedTrainer(model);
    try (TrainingJob job =
            TrainingJob.lora(
                "eval", model, LoraSpec.all(4, 8).withDropout(0.3), config(2, 1), data(61));
        TrainingJob probe =
            TrainingJob.lora(
                "probe",
                model,
                LoraSpec.all(4, 8),
                new TrainingConfig(
                    71, held.size(), AdamW.Hyper.defaults(), LrSchedule.constant(0.0)),
                held)) {
      trainer.step(List.of(job));
      Map<String, double[]> before = FusedTrainerTest.snapshot(job);
      int index = job.indexInEpoch();

      double eval = trainer.evalLoss(job, held);

      assertThat(trainer.evalLoss(job, held)).isEqualTo(eval); // no dropout: deterministic
      assertThat(job.optimizer().stepsTaken()).isEqualTo(1);
      assertThat(job.indexInEpoch()).isEqualTo(index);
      Map<String, double[]> after = FusedTrainerTest.snapshot(job);
      for (String name : before.keySet()) {
        assertThat(after.get(name)).containsExactly(before.get(name));
      }
      // the same loss as a training step reports on the whole held-out set as one batch (before
      // its update), for an adapter with the same values
      JobCheckpoint values = job.checkpoint();
      copyParameters(values, probe);
      double stepLoss = trainer.step(List.of(probe)).get(0).loss();
      assertThat(eval).isCloseTo(stepLoss, org.assertj.core.data.Offset.offset(1e-5 * stepLoss));
      assertThat(eval).isGreaterThan(1.0);
    }
  }

  // the trainable values of `from` into `to` (same spec and names), leaving `to`'s optimizer alone
  private static void copyParameters(JobCheckpoint from, TrainingJob to) {
    Map<String, ai.djl.ndarray.NDArray> named = to.adapter().namedTensors();
    Set<String> names = named.keySet();
    for (String name : names) {
      JobCheckpoint.Tensor t = from.tensors().get("param." + name);
      ai.djl.ndarray.NDArray p = named.get(name);
      p.subi(p);
      try (var scratch = p.getManager().newSubManager()) {
        p.addi(scratch.create(t.values(), new ai.djl.ndarray.types.Shape(t.shape())));
      }
    }
  }
}
