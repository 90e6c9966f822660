package io.adapterplatform.engine.fused;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import io.adapterplatform.engine.TestDevice;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.KvCache;
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
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FusedForwardTest {

  // fp32 vs fp64 through two layers plus adapters: errors ~1e-6 relative; see BaseModelTest for the
  // budget
  static final double TOL = 1e-4;
  static final Set<Projection> ALL = EnumSet.allOf(Projection.class);

  static ModelDims dims;
  static Map<String, float[]> weights;
  static RefModel ref;
  static BaseModel model;
  static List<AdapterWeights> adapters;

  @BeforeAll
  static void setUp() {
    dims = TinyModels.smallDims();
    weights = TinyModels.randomWeights(dims, 21);
    ref = new RefModel(dims, weights);
    model = BaseModel.fromWeights(dims, (n, s) -> weights.get(n), TestDevice.device());
    adapters =
        List.of(
            TinyModels.randomLora(dims, 4, 8, false, EnumSet.of(Projection.Q, Projection.V), 1),
            TinyModels.randomLora(dims, 8, 16, true, ALL, 2), // rsLoRA, rank 8
            TinyModels.randomDora(
                dims, 2, 4, EnumSet.of(Projection.Q, Projection.O, Projection.DOWN), 3),
            TinyModels.randomMixLora(
                dims, 4, 8, 4, 2, EnumSet.of(Projection.Q, Projection.V), Projection.UP, 4),
            TinyModels.randomMixLora(dims, 2, 2, 3, 1, EnumSet.noneOf(Projection.class), null, 5),
            TinyModels.randomLora(
                dims, 1, 1, false, EnumSet.of(Projection.GATE, Projection.DOWN), 6));
  }

  @AfterAll
  static void tearDown() {
    model.close();
  }

  @ParameterizedTest
  @EnumSource(value = GroupedLora.Strategy.class)
  void mixedBatchOfEveryAdapterKindEqualsEachSequenceAlone(GroupedLora.Strategy strategy) {
    // adapter -1 = none; two sequences share adapter 1 to exercise repeated slots
    assertBatchEqualsEachSequenceAlone(adapters, new int[] {0, 1, -1, 2, 3, 4, 5, 1}, strategy, 7);
  }

  @ParameterizedTest
  @EnumSource(value = GroupedLora.Strategy.class)
  void doraAdaptersOnDifferentProjectionsBesideMixLoraRowsEqualEachSequenceAlone(
      GroupedLora.Strategy strategy) {
    // each DoRA adapter leaves the other's projections untouched (its factor there must be 1, not
    // 0), and
    // the gate/up DoRA rows share the MixLoRA FFN with MixLoRA rows (the kernel applies their
    // factors)
    List<AdapterWeights> doras =
        List.of(
            TinyModels.randomDora(
                dims, 2, 4, EnumSet.of(Projection.GATE, Projection.UP, Projection.K), 31),
            TinyModels.randomDora(
                dims, 4, 8, EnumSet.of(Projection.Q, Projection.V, Projection.DOWN), 32),
            adapters.get(3),
            adapters.get(4));
    assertBatchEqualsEachSequenceAlone(doras, new int[] {0, 1, 2, 0, -1, 3, 1, 0}, strategy, 33);
  }

  private void assertBatchEqualsEachSequenceAlone(
      List<AdapterWeights> stacked, int[] chosen, GroupedLora.Strategy strategy, long seed) {
    int[][] seqs = new int[chosen.length][];
    var random = new SplittableRandom(seed);
    for (int s = 0; s < seqs.length; s++) {
      seqs[s] = random.ints(2 + s % 4, 0, dims.vocabSize()).toArray();
    }
    TestDevice.assumeStrategyRuns(strategy);
    try (AdapterPool pool = AdapterPool.of(model, stacked);
        NDManager step = model.manager().newSubManager()) {
      List<Segment> segs = new ArrayList<>();
      List<Integer> tokens = new ArrayList<>();
      List<Integer> rowAdapter = new ArrayList<>();
      for (int s = 0; s < seqs.length; s++) {
        segs.add(Segment.of(seqs[s].length));
        for (int t : seqs[s]) {
          tokens.add(t);
          rowAdapter.add(chosen[s]);
        }
      }

      float[] logits =
          model
              .forward(step, ints(tokens), segs, pool.bind(step, ints(rowAdapter), strategy))
              .toFloatArray();

      int row = 0;
      for (int s = 0; s < seqs.length; s++) {
        double[][] expected =
            ref.logits(seqs[s], RefAdapters.of(chosen[s] < 0 ? null : stacked.get(chosen[s])));
        for (double[] e : expected) {
          assertRowClose(logits, row++, e, "sequence " + s + " (adapter " + chosen[s] + ")");
        }
      }
    }
  }

  @Test
  void naivePerAdapterLoopGivesTheSameLogitsAsTheFusedPath() {
    int[] chosen = {0, 1, -1, 2, 3, 4, 5, 1, 3};
    int[] tokens = new SplittableRandom(10).ints(chosen.length * 3, 0, dims.vocabSize()).toArray();
    int[] rowAdapter = new int[tokens.length];
    List<Segment> segs = new ArrayList<>();
    for (int s = 0; s < chosen.length; s++) {
      segs.add(Segment.of(3));
      Arrays.fill(rowAdapter, s * 3, s * 3 + 3, chosen[s]);
    }
    try (AdapterPool pool = AdapterPool.of(model, adapters);
        NDManager step = model.manager().newSubManager()) {

      float[] fused =
          model
              .forward(step, tokens, segs, pool.bind(step, rowAdapter, GroupedLora.Strategy.AUTO))
              .toFloatArray();
      float[] naive =
          model.forward(step, tokens, segs, NaiveLoop.bind(pool, step, rowAdapter)).toFloatArray();

      for (int r = 0; r < tokens.length; r++) {
        double[] expected = new double[dims.vocabSize()];
        for (int i = 0; i < expected.length; i++) {
          expected[i] = naive[r * expected.length + i];
        }
        assertRowClose(fused, r, expected, "fused vs naive");
      }
    }
  }

  @Test
  void reservedPoolHotSwapsAdaptersInPlace() {
    AdapterWeights lora = adapters.get(0); // rank 4
    AdapterWeights dora = adapters.get(2); // rank 2
    AdapterWeights rslora = adapters.get(1); // rank 8
    int[] tokens = new SplittableRandom(12).ints(4, 0, dims.vocabSize()).toArray();
    try (AdapterPool pool = AdapterPool.reserve(model, 3, 8)) {
      pool.put(0, lora);
      pool.put(2, dora);
      assertSequences(
          pool, tokens, new int[] {0, 2, 1, -1}, new AdapterWeights[] {lora, dora, null, null});

      pool.put(0, rslora); // replace in place
      pool.clear(2);
      pool.put(1, dora);
      assertSequences(
          pool, tokens, new int[] {0, 2, 1, -1}, new AdapterWeights[] {rslora, null, dora, null});

      assertThatThrownBy(() -> pool.put(0, adapters.get(3))).hasMessageContaining("MixLoRA");
      assertThatThrownBy(() -> pool.put(0, TinyModels.randomLora(dims, 9, 9, false, ALL, 1)))
          .hasMessageContaining("rank 9");
    }
  }

  // each of the sequences (all `tokens`) with its own adapter, in one forward, against the
  // reference
  private static void assertSequences(
      AdapterPool pool, int[] tokens, int[] chosen, AdapterWeights[] expected) {
    int n = tokens.length;
    int[] all = new int[n * chosen.length];
    int[] rowAdapter = new int[all.length];
    List<Segment> segs = new ArrayList<>();
    for (int s = 0; s < chosen.length; s++) {
      System.arraycopy(tokens, 0, all, s * n, n);
      Arrays.fill(rowAdapter, s * n, s * n + n, chosen[s]);
      segs.add(Segment.of(n));
    }
    try (NDManager step = model.manager().newSubManager()) {
      float[] logits =
          model
              .forward(step, all, segs, pool.bind(step, rowAdapter, GroupedLora.Strategy.AUTO))
              .toFloatArray();
      for (int s = 0; s < chosen.length; s++) {
        double[][] ref1 = ref.logits(tokens, RefAdapters.of(expected[s]));
        for (int t = 0; t < n; t++) {
          assertRowClose(logits, s * n + t, ref1[t], "sequence " + s);
        }
      }
    }
  }

  @Test
  void cachedDecodeWithMixedAdaptersEqualsReferenceGreedyContinuation() {
    int[] chosen = {3, 0, -1, 2, 4};
    int[][] prompts = new int[chosen.length][];
    var random = new SplittableRandom(8);
    for (int s = 0; s < prompts.length; s++) {
      prompts[s] = random.ints(1 + s, 0, dims.vocabSize()).toArray();
    }
    int steps = 4;
    int[][] generated = new int[chosen.length][steps];
    try (AdapterPool pool = AdapterPool.of(model, adapters)) {
      List<KvCache> caches = new ArrayList<>();
      int[] next = new int[chosen.length];
      try (NDManager step = model.manager().newSubManager()) {
        List<Segment> segs = new ArrayList<>();
        List<Integer> tokens = new ArrayList<>();
        List<Integer> rowAdapter = new ArrayList<>();
        for (int s = 0; s < prompts.length; s++) {
          KvCache c = new KvCache(model);
          caches.add(c);
          segs.add(new Segment(prompts[s].length, c));
          for (int t : prompts[s]) {
            tokens.add(t);
            rowAdapter.add(chosen[s]);
          }
        }
        float[] last =
            model
                .forwardLast(
                    step,
                    ints(tokens),
                    segs,
                    pool.bind(step, ints(rowAdapter), GroupedLora.Strategy.AUTO))
                .toFloatArray();
        for (int s = 0; s < chosen.length; s++) {
          next[s] = argMax(last, s);
        }
      }
      for (int i = 0; i < steps; i++) {
        for (int s = 0; s < chosen.length; s++) {
          generated[s][i] = next[s];
        }
        if (i == steps - 1) {
          break;
        }
        try (NDManager step = model.manager().newSubManager()) {
          List<Segment> segs = caches.stream().map(c -> new Segment(1, c)).toList();
          float[] logits =
              model
                  .forwardLast(
                      step, next.clone(), segs, pool.bind(step, chosen, GroupedLora.Strategy.AUTO))
                  .toFloatArray();
          for (int s = 0; s < chosen.length; s++) {
            next[s] = argMax(logits, s);
          }
        }
      }
      caches.forEach(KvCache::close);
    }

    for (int s = 0; s < chosen.length; s++) {
      int[] expected =
          ref.greedy(
              prompts[s], steps, RefAdapters.of(chosen[s] < 0 ? null : adapters.get(chosen[s])));
      assertThat(generated[s]).as("greedy tokens of sequence %d", s).containsExactly(expected);
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = GroupedLora.Strategy.class,
      names = {"GATHER", "DISTINCT", "KERNEL"})
  void operationsPerForwardDoNotGrowWithTheNumberOfDistinctAdapters(GroupedLora.Strategy strategy) {
    TestDevice.assumeStrategyRuns(strategy);
    List<AdapterWeights> many = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      many.add(TinyModels.randomLora(dims, 2 + i % 3, 8, false, ALL, 100 + i));
    }
    Set<Projection> attention = EnumSet.of(Projection.Q, Projection.K, Projection.V, Projection.O);
    many.add(TinyModels.randomMixLora(dims, 4, 8, 4, 2, attention, null, 200));
    many.add(TinyModels.randomMixLora(dims, 2, 8, 3, 2, attention, null, 201));
    int[] tokens = new SplittableRandom(9).ints(8, 0, dims.vocabSize()).toArray();
    try (AdapterPool pool = AdapterPool.of(model, many)) {
      long oneLora = arraysCreated(pool, tokens, new int[] {0, 0, 0, 0, 0, 0, 0, 0}, strategy);
      long twoLoras = arraysCreated(pool, tokens, new int[] {0, 1, 0, 1, 0, 1, 0, -1}, strategy);
      long eightLoras = arraysCreated(pool, tokens, new int[] {0, 1, 2, 3, 4, 5, 6, 7}, strategy);
      long oneMix = arraysCreated(pool, tokens, new int[] {8, 8, 8, 8, 0, 0, 0, 0}, strategy);
      long twoMixesManyLoras =
          arraysCreated(pool, tokens, new int[] {8, 9, 8, 9, 1, 2, 3, -1}, strategy);

      assertThat(eightLoras).isEqualTo(twoLoras);
      assertThat(oneLora)
          .isLessThanOrEqualTo(twoLoras); // one adapter for all rows: a plain LoRA product
      assertThat(twoMixesManyLoras).isEqualTo(oneMix);
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = GroupedLora.Strategy.class,
      names = {"GATHER", "DISTINCT", "KERNEL"})
  void decodeStepsLeaveNoArraysInTheModelPoolOrStore(GroupedLora.Strategy strategy) {
    TestDevice.assumeStrategyRuns(strategy);
    // DJL puts an op's result in its first operand's manager: an op on a weight, pool or cache slab
    // would otherwise park a new array in that long-lived manager at every step
    int[] chosen = {3, 0, -1, 2, 4, 1};
    try (AdapterPool pool = AdapterPool.of(model, adapters);
        io.adapterplatform.engine.model.KvStore store =
            new io.adapterplatform.engine.model.KvStore(model, 8, 16)) {
      List<KvCache> caches = new ArrayList<>();
      for (int s = 0; s < chosen.length; s++) {
        caches.add(store.allocate());
      }
      int[] tokens = new int[chosen.length];
      java.util.function.IntSupplier held = () -> model.manager().getManagedArrays().size();
      decode(pool, caches, tokens, chosen, strategy);
      int before = held.getAsInt();
      for (int i = 0; i < 3; i++) {
        decode(pool, caches, tokens, chosen, strategy);
        try (NDManager step = model.manager().newSubManager()) {
          NaiveLoop.bind(pool, step, chosen); // the baseline too
          model.forwardLast(
              step,
              tokens,
              caches.stream().map(c -> new Segment(1, c)).toList(),
              NaiveLoop.bind(pool, step, chosen));
        }
      }

      assertThat(held.getAsInt()).isEqualTo(before);
    }
  }

  private static void decode(
      AdapterPool pool,
      List<KvCache> caches,
      int[] tokens,
      int[] chosen,
      GroupedLora.Strategy strategy) {
    try (NDManager step = model.manager().newSubManager()) {
      model.forwardLast(
          step,
          tokens,
          caches.stream().map(c -> new Segment(1, c)).toList(),
          pool.bind(step, chosen, strategy));
    }
  }

  // every DJL operation in the forward creates its result in the step manager: count them
  private static long arraysCreated(
      AdapterPool pool, int[] tokens, int[] rowAdapter, GroupedLora.Strategy s) {
    try (NDManager step = model.manager().newSubManager()) {
      model.forward(
          step, tokens, List.of(Segment.of(tokens.length)), pool.bind(step, rowAdapter, s));
      return step.getManagedArrays().size();
    }
  }

  static int[] ints(List<Integer> v) {
    return v.stream().mapToInt(Integer::intValue).toArray();
  }

  static int argMax(float[] rows, int row) {
    int vocab = dims.vocabSize();
    int best = 0;
    for (int i = 1; i < vocab; i++) {
      if (rows[row * vocab + i] > rows[row * vocab + best]) {
        best = i;
      }
    }
    return best;
  }

  static void assertRowClose(float[] actual, int row, double[] expected, String what) {
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(actual[row * expected.length + i] - expected[i]));
    }
    assertThat(worst).as("max |logit - reference| of row %d, %s", row, what).isLessThan(TOL);
  }
}
