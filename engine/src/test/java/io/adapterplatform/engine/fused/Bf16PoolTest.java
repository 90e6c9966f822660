package io.adapterplatform.engine.fused;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.adapterplatform.engine.TestDevice;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.format.DType;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.model.Segment;
import io.adapterplatform.engine.reference.RefAdapters;
import io.adapterplatform.engine.reference.RefModel;
import io.adapterplatform.engine.testing.TinyModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A pool that keeps A and B in bf16, against the float64 reference and against the fp32 pool. */
class Bf16PoolTest {

  static ModelDims dims;
  static Map<String, float[]> weights;
  static RefModel ref;
  static BaseModel model;
  static List<AdapterWeights> fp32Adapters;
  static List<AdapterWeights> bf16Adapters; // the same, as read from BF16 files

  @BeforeAll
  static void setUp() {
    dims = TinyModels.smallDims();
    weights = TinyModels.randomWeights(dims, 41);
    ref = new RefModel(dims, weights);
    model = BaseModel.fromWeights(dims, (n, s) -> weights.get(n), TestDevice.device());
    fp32Adapters =
        List.of(
            TinyModels.randomLora(dims, 4, 8, false, EnumSet.of(Projection.Q, Projection.V), 1),
            TinyModels.randomLora(dims, 8, 16, true, EnumSet.allOf(Projection.class), 2),
            TinyModels.randomDora(
                dims, 2, 4, EnumSet.of(Projection.Q, Projection.GATE, Projection.DOWN), 3),
            TinyModels.randomMixLora(
                dims, 4, 8, 4, 2, EnumSet.of(Projection.Q, Projection.V), Projection.UP, 4));
    bf16Adapters = fp32Adapters.stream().map(w -> TinyModels.roundTo(w, DType.BF16)).toList();
  }

  @AfterAll
  static void tearDown() {
    model.close();
  }

  @BeforeEach
  void needsTheHostKernel() {
    assumeTrue(
        HostKernels.available() && TestDevice.device().equals(Device.cpu()),
        "bf16 pools run on the CPU with the Vector API");
  }

  @Test
  void bf16AdaptersGiveTheReferenceLogitsAndTheFp32PoolsInHalfTheBytes() {
    int[] chosen = {0, 1, -1, 2, 3, 1, 3};
    try (AdapterPool fp32 = AdapterPool.of(model, bf16Adapters, PoolStorage.FP32);
        AdapterPool bf16 = AdapterPool.of(model, bf16Adapters, PoolStorage.BF16)) {
      float[] fromBf16 = assertBatchEqualsReference(bf16, chosen, bf16Adapters, 5);
      float[] fromFp32 = assertBatchEqualsReference(fp32, chosen, bf16Adapters, 5);

      // the kernel reads the same values in both: only the order of float sums may differ
      for (int i = 0; i < fromBf16.length; i++) {
        assertThat(fromBf16[i])
            .as("logit %d", i)
            .isCloseTo(
                fromFp32[i],
                org.assertj.core.data.Offset.offset(1e-5f * (1 + Math.abs(fromFp32[i]))));
      }
      assertThat(bf16.weightBytes() * 2).isEqualTo(fp32.weightBytes());
      assertThat(bf16.storage()).isEqualTo(PoolStorage.BF16);
    }
  }

  @Test
  void fp32AdaptersAreRoundedToTheNearestBf16() {
    // the pool's answer is the reference's for the adapters with A and B rounded (DoRA's norm
    // included)
    try (AdapterPool bf16 = AdapterPool.of(model, fp32Adapters, PoolStorage.BF16)) {
      assertBatchEqualsReference(bf16, new int[] {3, 2, 0, 1, -1}, roundedPairs(), 6);
    }
  }

  @Test
  void reservedBf16PoolHotLoadsEveryKindInPlace() {
    try (AdapterPool pool = AdapterPool.reserve(model, 2, 8, 1, 4, 2, PoolStorage.BF16)) {
      pool.put(0, fp32Adapters.get(2)); // DoRA: its factor from the stored weights
      pool.put(1, fp32Adapters.get(1));
      pool.put(2, fp32Adapters.get(3)); // MixLoRA place
      List<AdapterWeights> rounded = roundedPairs();
      List<AdapterWeights> held = List.of(rounded.get(2), rounded.get(1), rounded.get(3));
      assertBatchEqualsReference(pool, new int[] {2, 0, -1, 1, 2}, held, 7);

      pool.put(0, fp32Adapters.get(0));
      pool.clear(1);
      List<AdapterWeights> after = Arrays.asList(rounded.get(0), null, rounded.get(3));
      assertBatchEqualsReference(pool, new int[] {0, 1, 2}, after, 8);
    }
  }

  @Test
  void bf16PoolRefusesTheDjlStrategies() {
    try (AdapterPool pool = AdapterPool.of(model, bf16Adapters, PoolStorage.BF16);
        NDManager step = model.manager().newSubManager()) {
      for (GroupedLora.Strategy s :
          List.of(GroupedLora.Strategy.GATHER, GroupedLora.Strategy.DISTINCT)) {
        assertThatThrownBy(() -> pool.bind(step, new int[] {0}, s))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("bf16 pool runs the KERNEL strategy only");
      }
    }
  }

  @Test
  void naiveLoopReadsABf16Pool() {
    int[] chosen = {3, 0, 2};
    int[] tokens = new SplittableRandom(9).ints(chosen.length * 2, 0, dims.vocabSize()).toArray();
    int[] rowAdapter = new int[tokens.length];
    List<Segment> segs = new ArrayList<>();
    for (int s = 0; s < chosen.length; s++) {
      segs.add(Segment.of(2));
      Arrays.fill(rowAdapter, s * 2, s * 2 + 2, chosen[s]);
    }
    try (AdapterPool pool = AdapterPool.of(model, bf16Adapters, PoolStorage.BF16);
        NDManager step = model.manager().newSubManager()) {
      float[] naive =
          model.forward(step, tokens, segs, NaiveLoop.bind(pool, step, rowAdapter)).toFloatArray();
      for (int s = 0; s < chosen.length; s++) {
        double[][] expected =
            ref.logits(
                Arrays.copyOfRange(tokens, s * 2, s * 2 + 2),
                RefAdapters.of(bf16Adapters.get(chosen[s])));
        for (int t = 0; t < 2; t++) {
          FusedForwardTest.assertRowClose(naive, s * 2 + t, expected[t], "naive, sequence " + s);
        }
      }
    }
  }

  private static List<AdapterWeights> roundedPairs() {
    return fp32Adapters.stream().map(w -> TinyModels.roundPairsTo(w, DType.BF16)).toList();
  }

  // one forward of sequences of 1-4 tokens, sequence s on pool adapter chosen[s]; each row against
  // the
  // reference with expected.get(chosen[s]); returns the logits
  private static float[] assertBatchEqualsReference(
      AdapterPool pool, int[] chosen, List<AdapterWeights> expected, long seed) {
    var random = new SplittableRandom(seed);
    int[][] seqs = new int[chosen.length][];
    List<Segment> segs = new ArrayList<>();
    List<Integer> tokens = new ArrayList<>();
    List<Integer> rowAdapter = new ArrayList<>();
    for (int s = 0; s < chosen.length; s++) {
      seqs[s] = random.ints(1 + s % 4, 0, dims.vocabSize()).toArray();
      segs.add(Segment.of(seqs[s].length));
      for (int t : seqs[s]) {
        tokens.add(t);
        rowAdapter.add(chosen[s]);
      }
    }
    try (NDManager step = model.manager().newSubManager()) {
      float[] logits =
          model
              .forward(
                  step,
                  FusedForwardTest.ints(tokens),
                  segs,
                  pool.bind(step, FusedForwardTest.ints(rowAdapter), GroupedLora.Strategy.AUTO))
              .toFloatArray();
      int row = 0;
      for (int s = 0; s < chosen.length; s++) {
        AdapterWeights w = chosen[s] < 0 ? null : expected.get(chosen[s]);
        for (double[] e : ref.logits(seqs[s], RefAdapters.of(w))) {
          FusedForwardTest.assertRowClose(
              logits, row++, e, "sequence " + s + " (adapter " + chosen[s] + ")");
        }
      }
      return logits;
    }
  }
}
