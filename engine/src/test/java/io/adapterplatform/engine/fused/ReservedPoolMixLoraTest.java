package io.adapterplatform.engine.fused;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import io.adapterplatform.engine.TestDevice;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.adapter.LoraPair;
import io.adapterplatform.engine.adapter.MixLora;
import io.adapterplatform.engine.adapter.ModuleKey;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.model.AdapterHook;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.model.Segment;
import io.adapterplatform.engine.reference.RefAdapters;
import io.adapterplatform.engine.reference.RefModel;
import io.adapterplatform.engine.testing.TinyModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * MixLoRA places of a reserved pool: put, replace and clear in place, against {@code of} and the
 * reference.
 */
class ReservedPoolMixLoraTest {

  static ModelDims dims;
  static Map<String, float[]> weights;
  static RefModel ref;
  static BaseModel model;
  static AdapterWeights lora;
  static AdapterWeights dora;
  static MixLora mixA; // 4 experts, top 2, attention LoRA on q and v, expert 1 without up
  static MixLora mixB; // 3 experts, top 1, no attention LoRA
  static MixLora mixC; // 2 experts, top 1, attention LoRA on k and o: replaces mixA
  static MixLora mixD; // 1 expert, top 1: fewer experts than the pool's maxTopK

  @BeforeAll
  static void setUp() {
    dims = TinyModels.smallDims();
    weights = TinyModels.randomWeights(dims, 31);
    ref = new RefModel(dims, weights);
    model = BaseModel.fromWeights(dims, (n, s) -> weights.get(n), TestDevice.device());
    lora =
        TinyModels.randomLora(
            dims, 4, 8, false, EnumSet.of(Projection.Q, Projection.V, Projection.GATE), 1);
    dora =
        TinyModels.randomDora(
            dims, 2, 4, EnumSet.of(Projection.Q, Projection.UP, Projection.DOWN), 2);
    mixA =
        TinyModels.randomMixLora(
            dims, 4, 8, 4, 2, EnumSet.of(Projection.Q, Projection.V), Projection.UP, 3);
    mixB = TinyModels.randomMixLora(dims, 2, 2, 3, 1, EnumSet.noneOf(Projection.class), null, 4);
    mixC =
        TinyModels.randomMixLora(
            dims, 8, 16, 2, 1, EnumSet.of(Projection.K, Projection.O), null, 5);
    mixD = TinyModels.randomMixLora(dims, 2, 4, 1, 1, EnumSet.of(Projection.V), null, 6);
  }

  @AfterAll
  static void tearDown() {
    model.close();
  }

  @ParameterizedTest
  @EnumSource(
      value = GroupedLora.Strategy.class,
      names = {"GATHER", "DISTINCT", "KERNEL", "AUTO"})
  void mixedBatchOverReservedPlacesEqualsTheSameAdaptersStackedWithOf(
      GroupedLora.Strategy strategy) {
    assumeKernel(strategy);
    // reserved: 0 lora, 1 dora | 2 mixA, 3 empty, 4 mixB; of: 0 lora, 1 dora, 2 mixA, 3 mixB
    int[] reservedChoice = {2, 0, 4, -1, 1, 3, 2, 4, 0};
    int[] ofChoice = {2, 0, 3, -1, 1, -1, 2, 3, 0};
    AdapterWeights[] expected = {mixA, lora, mixB, null, dora, null, mixA, mixB, lora};
    int[][] seqs = sequences(reservedChoice.length, 40);
    try (AdapterPool reserved = AdapterPool.reserve(model, 2, 8, 3, 4, 2);
        AdapterPool stacked = AdapterPool.of(model, List.of(lora, dora, mixA, mixB))) {
      reserved.put(0, lora);
      reserved.put(1, dora);
      reserved.put(2, mixA);
      reserved.put(4, mixB);

      float[] fromReserved = forward(reserved, seqs, reservedChoice, strategy);
      float[] fromOf = forward(stacked, seqs, ofChoice, strategy);
      float[] naive =
          forward(seqs, reservedChoice, (step, rows) -> NaiveLoop.bind(reserved, step, rows));

      assertAgainstReference(fromReserved, seqs, expected, strategy + " reserved");
      int vocab = dims.vocabSize();
      for (int r = 0; r < fromReserved.length / vocab; r++) {
        FusedForwardTest.assertRowClose(
            fromReserved, r, row(fromOf, r), "reserved vs of, " + strategy);
        FusedForwardTest.assertRowClose(
            naive, r, row(fromReserved, r), "naive loop vs fused, " + strategy);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = GroupedLora.Strategy.class,
      names = {"GATHER", "DISTINCT", "KERNEL"})
  void replacingAndClearingAMixLoraPlaceGivesTheNewAdapterThenTheBaseModel(
      GroupedLora.Strategy strategy) {
    assumeKernel(strategy);
    int[] choice = {1, 0, 2, -1, 1, 2};
    int[][] seqs = sequences(choice.length, 41);
    try (AdapterPool pool = AdapterPool.reserve(model, 1, 8, 2, 4, 2)) {
      pool.put(0, lora);
      pool.put(1, mixA);
      pool.put(2, mixB);
      assertAgainstReference(
          forward(pool, seqs, choice, strategy),
          seqs,
          new AdapterWeights[] {mixA, lora, mixB, null, mixA, mixB},
          "mixA and mixB");
      assertThat(pool.numExperts(1)).isEqualTo(4);
      assertThat(pool.mixTopK(1)).isEqualTo(2);

      pool.put(1, mixC); // fewer experts, top 1, other attention targets, rank 8
      assertAgainstReference(
          forward(pool, seqs, choice, strategy),
          seqs,
          new AdapterWeights[] {mixC, lora, mixB, null, mixC, mixB},
          "mixC replacing mixA");
      assertThat(pool.numExperts(1)).isEqualTo(2);
      assertThat(pool.mixTopK(1)).isEqualTo(1);

      pool.put(2, mixD); // one expert in a pool of top_k 2
      pool.clear(1);
      float[] cleared = forward(pool, seqs, choice, strategy);
      assertAgainstReference(
          cleared,
          seqs,
          new AdapterWeights[] {null, lora, mixD, null, null, mixD},
          "place 1 cleared, mixD on place 2");
      assertThat(pool.numExperts(1)).isEqualTo(1);
      assertThat(pool.adapters().get(1)).isInstanceOf(MixLora.class);
      // exactly the base model: the same batch with those rows on no adapter at all, bit for bit
      int[] none = {-1, 0, 2, -1, -1, 2};
      float[] bare = forward(pool, seqs, none, strategy);
      assertThat(rowsOf(cleared, seqs, 0)).containsExactly(rowsOf(bare, seqs, 0));
      assertThat(rowsOf(cleared, seqs, 4)).containsExactly(rowsOf(bare, seqs, 4));

      pool.put(1, mixA); // a cleared place takes an adapter again
      assertAgainstReference(
          forward(pool, seqs, choice, strategy),
          seqs,
          new AdapterWeights[] {mixA, lora, mixD, null, mixA, mixD},
          "mixA again");
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = GroupedLora.Strategy.class,
      names = {"GATHER", "DISTINCT", "KERNEL"})
  void doraRowsBesideMixLoraRowsKeepTheirFactors(GroupedLora.Strategy strategy) {
    assumeKernel(strategy);
    // doraQD has no pair on gate/up, dora has a factor on up: the kernel's MixLoRA FFN applies it,
    // so both
    // batches take the same path under every strategy
    AdapterWeights doraQD =
        TinyModels.randomDora(dims, 4, 8, EnumSet.of(Projection.Q, Projection.DOWN), 9);
    int[] choice = {0, 2, 3, -1, 2, 1};
    int[][] seqs = sequences(choice.length, 46);
    try (AdapterPool pool = AdapterPool.reserve(model, 2, 4, 2, 4, 2)) {
      pool.put(0, doraQD);
      pool.put(1, lora);
      pool.put(2, mixA);
      pool.put(3, mixB);
      assertAgainstReference(
          forward(pool, seqs, choice, strategy),
          seqs,
          new AdapterWeights[] {doraQD, mixA, mixB, null, mixA, lora},
          "DoRA without gate/up");
      long withoutGateUp = arraysCreated(pool, seqs, choice, strategy);

      pool.put(0, dora); // a factor on up
      assertAgainstReference(
          forward(pool, seqs, choice, strategy),
          seqs,
          new AdapterWeights[] {dora, mixA, mixB, null, mixA, lora},
          "DoRA on up");
      long withUp = arraysCreated(pool, seqs, choice, strategy);

      assertThat(withUp).isEqualTo(withoutGateUp);
    }
  }

  private static long arraysCreated(
      AdapterPool pool, int[][] seqs, int[] choice, GroupedLora.Strategy strategy) {
    long[] count = new long[1];
    forward(
        seqs,
        choice,
        (step, rows) -> {
          AdapterHook hook = pool.bind(step, rows, strategy);
          return new AdapterHook() {
            @Override
            public ai.djl.ndarray.NDArray linear(
                int layer, Projection p, ai.djl.ndarray.NDArray x, ai.djl.ndarray.NDArray w) {
              return hook.linear(layer, p, x, w);
            }

            @Override
            public ai.djl.ndarray.NDArray ffn(
                int layer,
                ai.djl.ndarray.NDArray x,
                io.adapterplatform.engine.model.LayerWeights w) {
              long before = step.getManagedArrays().size();
              ai.djl.ndarray.NDArray y = hook.ffn(layer, x, w);
              count[0] += step.getManagedArrays().size() - before;
              return y;
            }
          };
        });
    return count[0];
  }

  @ParameterizedTest
  @EnumSource(
      value = GroupedLora.Strategy.class,
      names = {"GATHER", "DISTINCT", "KERNEL"})
  void aMixLoraWithFewerExpertsThanTheBatchTopKStaysOnItsOwnSlots(GroupedLora.Strategy strategy) {
    assumeKernel(strategy);
    // with of(), mixD's one expert is the pool's last slot: a second (weight 0) choice must not
    // index past it
    int[] choice = {1, 0, -1, 1};
    int[][] seqs = sequences(choice.length, 45);
    try (AdapterPool stacked = AdapterPool.of(model, List.of(mixA, mixD))) {
      assertAgainstReference(
          forward(stacked, seqs, choice, strategy),
          seqs,
          new AdapterWeights[] {mixD, mixA, null, mixD},
          "of(mixA, mixD)");
    }
  }

  @Test
  void theThreeArgumentReserveStillHoldsLoraAndDoraOnly() {
    int[][] seqs = sequences(3, 42);
    try (AdapterPool pool = AdapterPool.reserve(model, 2, 4)) {
      pool.put(0, dora);
      pool.put(1, lora);
      assertAgainstReference(
          forward(pool, seqs, new int[] {1, 0, -1}, GroupedLora.Strategy.AUTO),
          seqs,
          new AdapterWeights[] {lora, dora, null},
          "3-argument reserve");
      assertThat(pool.slots()).isEqualTo(3);
      assertThatThrownBy(() -> pool.put(0, mixA))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "index 0 is a LoRA/DoRA place; MixLoRA adapters go to MixLoRA places, and this pool "
                  + "has none (reserve with mixCapacity > 0)");
    }
  }

  @Test
  void aMixLoraPlaceOwnsOneSlotPerReservedExpertPlusItsAttentionSlot() {
    try (AdapterPool pool = AdapterPool.reserve(model, 3, 4, 2, 5, 2)) {
      assertThat(pool.size()).isEqualTo(5);
      assertThat(pool.slots()).isEqualTo(1 + 3 + 2 * (1 + 5));
      assertThat(pool.adapterSlot(3)).isEqualTo(4);
      assertThat(pool.mixExpertSlot(pool.adapterMix(4))).isEqualTo(4 + 6 + 1);
      assertThat(pool.router(0).getShape().getShape()).containsExactly(3, 5, dims.hiddenSize());
    }
  }

  @Test
  void everyRefusalNamesItsLimitAndLeavesThePlaceAsItWas() {
    int[][] seqs = sequences(3, 43);
    int[] choice = {2, 0, -1};
    AdapterWeights[] expected = {mixB, lora, null};
    try (AdapterPool pool = AdapterPool.reserve(model, 2, 4, 2, 3, 1)) {
      pool.put(0, lora);
      pool.put(2, mixB);
      var refusals = new ArrayList<Runnable>();
      // kinds and places
      refusals.add(
          () ->
              assertThatThrownBy(() -> pool.put(0, mixB))
                  .isInstanceOf(IllegalArgumentException.class)
                  .hasMessage(
                      "index 0 is a LoRA/DoRA place; MixLoRA adapters go to the MixLoRA places [2, 4)"));
      refusals.add(
          () ->
              assertThatThrownBy(() -> pool.put(2, dora))
                  .isInstanceOf(IllegalArgumentException.class)
                  .hasMessage(
                      "index 2 is a MixLoRA place; LoRA/DoRA adapters go to the LoRA/DoRA places [0, 2)"));
      refusals.add(
          () ->
              assertThatThrownBy(() -> pool.put(4, mixB))
                  .isInstanceOf(IllegalArgumentException.class)
                  .hasMessage("slot 4 outside [0, 4)"));
      // limits
      refusals.add(
          () ->
              assertThatThrownBy(() -> pool.put(2, mixA))
                  .isInstanceOf(IllegalArgumentException.class)
                  .hasMessage("MixLoRA adapter has 4 experts but the pool's maxExperts is 3"));
      refusals.add(
          () ->
              assertThatThrownBy(
                      () ->
                          pool.put(
                              3,
                              TinyModels.randomMixLora(
                                  dims, 2, 4, 3, 2, EnumSet.noneOf(Projection.class), null, 7)))
                  .isInstanceOf(IllegalArgumentException.class)
                  .hasMessage("MixLoRA adapter has top_k 2 but the pool's maxTopK is 1"));
      refusals.add(
          () ->
              assertThatThrownBy(() -> pool.put(3, mixC))
                  .isInstanceOf(IllegalArgumentException.class)
                  .hasMessage("MixLoRA adapter rank 8 exceeds the pool's rank 4"));
      // shapes
      refusals.add(
          () ->
              assertThatThrownBy(
                      () ->
                          pool.put(
                              2,
                              withExpert(
                                  mixB,
                                  0,
                                  Projection.DOWN,
                                  pair(4, dims.intermediateSize() + 1, dims.hiddenSize()))))
                  .isInstanceOf(IllegalArgumentException.class)
                  .hasMessage(
                      "adapter 2: LoRA on layer 0 "
                          + Projection.DOWN.module()
                          + " is ["
                          + dims.hiddenSize()
                          + " x "
                          + (dims.intermediateSize() + 1)
                          + "] but the model's projection is ["
                          + dims.hiddenSize()
                          + " x "
                          + dims.intermediateSize()
                          + "]"));
      refusals.add(
          () ->
              assertThatThrownBy(
                      () ->
                          pool.put(
                              2,
                              withAttention(mixB, 1, Projection.Q, pair(2, dims.hiddenSize(), 3))))
                  .isInstanceOf(IllegalArgumentException.class)
                  .hasMessageStartingWith(
                      "adapter 2: LoRA on layer 1 " + Projection.Q.module() + " is [3 x "));
      refusals.add(
          () ->
              assertThatThrownBy(() -> pool.put(3, withRouter(mixB, 1, new float[5])))
                  .isInstanceOf(IllegalArgumentException.class)
                  .hasMessage(
                      "adapter 3: router of layer 1 has 5 values, expected [3 x "
                          + dims.hiddenSize()
                          + "]"));
      refusals.add(
          () ->
              assertThatThrownBy(
                      () ->
                          pool.put(
                              3,
                              withExpert(
                                  withRouter(
                                      mixB, dims.numLayers(), new float[3 * dims.hiddenSize()]),
                                  dims.numLayers(),
                                  Projection.GATE,
                                  pair(4, dims.hiddenSize(), dims.intermediateSize()))))
                  .isInstanceOf(IllegalArgumentException.class)
                  .hasMessageContaining(
                      "is on layer "
                          + dims.numLayers()
                          + " but the model has layers [0, "
                          + dims.numLayers()
                          + ")"));
      refusals.add(
          () ->
              assertThatThrownBy(
                      () ->
                          pool.put(
                              0,
                              TinyModels.randomLora(
                                  dims, 5, 5, false, EnumSet.of(Projection.K), 8)))
                  .isInstanceOf(IllegalArgumentException.class)
                  .hasMessage("adapter rank 5 exceeds the pool's rank 4"));
      for (Runnable refusal : refusals) {
        refusal.run();
      }

      // nothing was written by a refused put: both places still hold what they held
      assertAgainstReference(
          forward(pool, seqs, choice, GroupedLora.Strategy.AUTO),
          seqs,
          expected,
          "after the refusals");
      assertThat(pool.adapters().get(2)).isSameAs(mixB);
      assertThat(pool.numExperts(1)).isEqualTo(3);
    }
    try (AdapterPool stacked = AdapterPool.of(model, List.of(lora, mixB))) {
      assertThatThrownBy(() -> stacked.put(1, mixB))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("only a pool made by reserve() can be changed in place");
    }
  }

  @Test
  void reserveRefusesLayoutsWithoutPlacesOrWithImpossibleLimits() {
    assertThatThrownBy(() -> AdapterPool.reserve(model, 0, 4, 0, 2, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a reserved pool needs at least one place, got capacity 0 and mixCapacity 0");
    assertThatThrownBy(() -> AdapterPool.reserve(model, 1, 4, -1, 2, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a reserved pool needs at least one place, got capacity 1 and mixCapacity -1");
    assertThatThrownBy(() -> AdapterPool.reserve(model, 1, 0, 1, 2, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxRank must be positive, got 0");
    assertThatThrownBy(() -> AdapterPool.reserve(model, 1, 4, 1, 2, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "a reserved pool needs 0 < maxTopK <= maxExperts, got maxTopK 3 and maxExperts 2");
    assertThatThrownBy(() -> AdapterPool.reserve(model, 0, 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("capacity and maxRank must be positive: 0, 4");
    // MixLoRA places only
    try (AdapterPool pool = AdapterPool.reserve(model, 0, 4, 1, 3, 1)) {
      pool.put(0, mixB);
      int[][] seqs = sequences(2, 44);
      assertAgainstReference(
          forward(pool, seqs, new int[] {0, -1}, GroupedLora.Strategy.AUTO),
          seqs,
          new AdapterWeights[] {mixB, null},
          "MixLoRA places only");
    }
  }

  // ---- helpers

  private static void assumeKernel(GroupedLora.Strategy strategy) {
    TestDevice.assumeStrategyRuns(strategy);
  }

  private static int[][] sequences(int n, long seed) {
    var random = new SplittableRandom(seed);
    int[][] seqs = new int[n][];
    for (int s = 0; s < n; s++) {
      seqs[s] = random.ints(1 + s % 4, 0, dims.vocabSize()).toArray();
    }
    return seqs;
  }

  private static float[] forward(
      AdapterPool pool, int[][] seqs, int[] choice, GroupedLora.Strategy strategy) {
    return forward(seqs, choice, (step, rows) -> pool.bind(step, rows, strategy));
  }

  private static float[] forward(
      int[][] seqs,
      int[] choice,
      java.util.function.BiFunction<NDManager, int[], AdapterHook> hook) {
    List<Segment> segs = new ArrayList<>();
    int total = Arrays.stream(seqs).mapToInt(s -> s.length).sum();
    int[] tokens = new int[total];
    int[] rowAdapter = new int[total];
    int at = 0;
    for (int s = 0; s < seqs.length; s++) {
      segs.add(Segment.of(seqs[s].length));
      System.arraycopy(seqs[s], 0, tokens, at, seqs[s].length);
      Arrays.fill(rowAdapter, at, at + seqs[s].length, choice[s]);
      at += seqs[s].length;
    }
    try (NDManager step = model.manager().newSubManager()) {
      return model.forward(step, tokens, segs, hook.apply(step, rowAdapter)).toFloatArray();
    }
  }

  private static void assertAgainstReference(
      float[] logits, int[][] seqs, AdapterWeights[] expected, String what) {
    int row = 0;
    for (int s = 0; s < seqs.length; s++) {
      double[][] e = ref.logits(seqs[s], RefAdapters.of(expected[s]));
      for (double[] r : e) {
        FusedForwardTest.assertRowClose(logits, row++, r, what + ", sequence " + s);
      }
    }
  }

  private static double[] row(float[] logits, int r) {
    int vocab = dims.vocabSize();
    double[] v = new double[vocab];
    for (int i = 0; i < vocab; i++) {
      v[i] = logits[r * vocab + i];
    }
    return v;
  }

  // the logits of sequence s, as they are
  private static float[] rowsOf(float[] logits, int[][] seqs, int s) {
    int vocab = dims.vocabSize();
    int from = 0;
    for (int i = 0; i < s; i++) {
      from += seqs[i].length;
    }
    return Arrays.copyOfRange(logits, from * vocab, (from + seqs[s].length) * vocab);
  }

  private static LoraPair pair(int rank, int in, int out) {
    var random = new SplittableRandom(rank * 31L + in * 7L + out);
    return new LoraPair(
        rank,
        in,
        out,
        TinyModels.uniform(random, rank * in, 0.1),
        TinyModels.uniform(random, out * rank, 0.1));
  }

  private static MixLora withExpert(MixLora m, int layer, Projection p, LoraPair pair) {
    Map<MixLora.ExpertKey, LoraPair> experts = new HashMap<>(m.experts());
    experts.put(new MixLora.ExpertKey(layer, p, 0), pair);
    return new MixLora(
        m.rank(),
        m.scaling(),
        pair.rank(),
        m.expertScaling(),
        m.numExperts(),
        m.topK(),
        m.routers(),
        m.modules(),
        rerank(experts, pair.rank()));
  }

  private static MixLora withAttention(MixLora m, int layer, Projection p, LoraPair pair) {
    Map<ModuleKey, LoraPair> modules = new HashMap<>(m.modules());
    modules.put(new ModuleKey(layer, p), pair);
    return new MixLora(
        pair.rank(),
        m.scaling(),
        m.expertRank(),
        m.expertScaling(),
        m.numExperts(),
        m.topK(),
        m.routers(),
        modules,
        m.experts());
  }

  private static MixLora withRouter(MixLora m, int layer, float[] router) {
    Map<Integer, float[]> routers = new HashMap<>(m.routers());
    routers.put(layer, router);
    return new MixLora(
        m.rank(),
        m.scaling(),
        m.expertRank(),
        m.expertScaling(),
        m.numExperts(),
        m.topK(),
        routers,
        m.modules(),
        m.experts());
  }

  // every expert pair at one rank (MixLora checks that they agree), keeping their shapes
  private static <K> Map<K, LoraPair> rerank(Map<K, LoraPair> pairs, int rank) {
    Function<LoraPair, LoraPair> to = p -> p.rank() == rank ? p : pair(rank, p.in(), p.out());
    Map<K, LoraPair> out = new HashMap<>();
    pairs.forEach((k, v) -> out.put(k, to.apply(v)));
    return out;
  }
}
