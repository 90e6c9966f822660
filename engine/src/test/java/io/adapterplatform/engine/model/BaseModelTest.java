package io.adapterplatform.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import io.adapterplatform.engine.TestDevice;
import io.adapterplatform.engine.reference.RefAdapter;
import io.adapterplatform.engine.reference.RefModel;
import io.adapterplatform.engine.testing.TinyModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class BaseModelTest {

  // fp32 forward vs fp64 reference: a handful of layers of O(1) activations accumulate relative
  // rounding
  // of a few 1e-7 per op; logits of order 1-10 therefore agree to ~1e-5, and 1e-4 leaves margin
  // while
  // still catching any real mistake (a wrong rotation or mask moves logits by O(0.1)).
  static final double TOL = 1e-4;

  static Stream<ModelDims> shapes() {
    return Stream.of(
        TinyModels.smallDims(),
        new ModelDims(64, 96, 3, 8, 8, 8, 1e-6, 500000.0, true, 80), // MHA, tied embeddings
        new ModelDims(48, 64, 1, 6, 1, 16, 1e-5, 10000.0, false, 50)); // multi-query
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void logitsMatchFloat64Reference(ModelDims dims) {
    Map<String, float[]> w = TinyModels.randomWeights(dims, 11);
    RefModel ref = new RefModel(dims, w);
    int[] tokens = randomTokens(dims, 9, 3);
    try (BaseModel model = BaseModel.fromWeights(dims, (n, s) -> w.get(n), TestDevice.device());
        NDManager step = model.manager().newSubManager()) {

      float[] logits =
          model
              .forward(step, tokens, List.of(Segment.of(tokens.length)), AdapterHook.NONE)
              .toFloatArray();

      double[][] expected = ref.logits(tokens, RefAdapter.NONE);
      assertClose(logits, expected);
    }
  }

  /**
   * Many fresh sequences in one forward, runs of equal length (taken as one batched attention)
   * between sequences of other lengths (taken one by one): every row's logits are those of its
   * sequence alone.
   */
  @ParameterizedTest
  @MethodSource("shapes")
  void manyFreshSequencesOfEqualAndUnequalLengthsInOneForwardEqualEachAlone(ModelDims dims) {
    Map<String, float[]> w = TinyModels.randomWeights(dims, 14);
    RefModel ref = new RefModel(dims, w);
    int[] lengths = {4, 4, 4, 2, 5, 1, 1, 3, 3, 6, 6, 6, 6, 2};
    List<int[]> seqs = new ArrayList<>();
    List<Segment> segments = new ArrayList<>();
    List<Integer> all = new ArrayList<>();
    for (int i = 0; i < lengths.length; i++) {
      int[] t = randomTokens(dims, lengths[i], 40 + i);
      seqs.add(t);
      segments.add(Segment.of(t.length));
      for (int token : t) {
        all.add(token);
      }
    }
    try (BaseModel model = BaseModel.fromWeights(dims, (n, s) -> w.get(n), TestDevice.device());
        NDManager step = model.manager().newSubManager()) {

      float[] logits =
          model
              .forward(step, all.stream().mapToInt(i -> i).toArray(), segments, AdapterHook.NONE)
              .toFloatArray();

      int row = 0;
      for (int[] t : seqs) {
        double[][] expected = ref.logits(t, RefAdapter.NONE);
        for (double[] e : expected) {
          assertRowClose(logits, row++, e);
        }
      }
      assertThat(row).isEqualTo(all.size());
    }
  }

  enum Caches {
    SEPARATE,
    SHARED_STORE_IN_ORDER,
    SHARED_STORE_SHUFFLED
  }

  static Stream<org.junit.jupiter.params.provider.Arguments> shapesAndCaches() {
    return shapes()
        .flatMap(
            d ->
                Stream.of(Caches.values())
                    .map(c -> org.junit.jupiter.params.provider.Arguments.of(d, c)));
  }

  @ParameterizedTest
  @MethodSource("shapesAndCaches")
  void cachedDecodeOfSequencesOfDifferentLengthsEqualsFullRecompute(ModelDims dims, Caches kind) {
    Map<String, float[]> w = TinyModels.randomWeights(dims, 12);
    RefModel ref = new RefModel(dims, w);
    int[][] prompts = {
      randomTokens(dims, 5, 1), randomTokens(dims, 1, 2), randomTokens(dims, 8, 3)
    };
    try (BaseModel model = BaseModel.fromWeights(dims, (n, s) -> w.get(n), TestDevice.device());
        // capacity 4 < the longest prompt: the store must grow while keeping what it holds
        KvStore store = new KvStore(model, 4, 4)) {
      java.util.function.Supplier<KvCache> newCache =
          () -> kind == Caches.SEPARATE ? new KvCache(model) : store.allocate();
      if (kind == Caches.SHARED_STORE_SHUFFLED) {
        KvCache first = store.allocate();
        store.allocate();
        first.close(); // slots now come out as 2, 3, 0
      }
      List<KvCache> caches = new ArrayList<>();
      List<int[]> seqs = new ArrayList<>();
      int[] next = new int[prompts.length];
      // prefill all three in one forward
      try (NDManager step = model.manager().newSubManager()) {
        List<Segment> segs = new ArrayList<>();
        List<Integer> all = new ArrayList<>();
        for (int[] p : prompts) {
          KvCache c = newCache.get();
          caches.add(c);
          segs.add(new Segment(p.length, c));
          for (int t : p) {
            all.add(t);
          }
          seqs.add(p);
        }
        float[] last =
            model
                .forwardLast(step, all.stream().mapToInt(i -> i).toArray(), segs, AdapterHook.NONE)
                .toFloatArray();
        for (int s = 0; s < prompts.length; s++) {
          double[][] expected = ref.logits(seqs.get(s), RefAdapter.NONE);
          assertRowClose(last, s, expected[expected.length - 1]);
          next[s] = argMax(last, s, dims.vocabSize());
        }
      }
      // four decode steps of all three together
      for (int i = 0; i < 4; i++) {
        try (NDManager step = model.manager().newSubManager()) {
          List<Segment> segs = new ArrayList<>();
          for (int s = 0; s < prompts.length; s++) {
            int[] grown = java.util.Arrays.copyOf(seqs.get(s), seqs.get(s).length + 1);
            grown[grown.length - 1] = next[s];
            seqs.set(s, grown);
            segs.add(new Segment(1, caches.get(s)));
          }
          float[] logits =
              model.forwardLast(step, next.clone(), segs, AdapterHook.NONE).toFloatArray();
          for (int s = 0; s < prompts.length; s++) {
            double[][] expected = ref.logits(seqs.get(s), RefAdapter.NONE);
            assertRowClose(logits, s, expected[expected.length - 1]);
            assertThat(caches.get(s).length()).isEqualTo(seqs.get(s).length);
            next[s] = argMax(logits, s, dims.vocabSize());
          }
        }
      }
      caches.forEach(KvCache::close);
    }
  }

  @Test
  void newSequencesJoinADecodeStepInOneForward() {
    // continuous batching: two sequences decode while a third is prefilled into the same store and
    // a
    // fourth is scored without a cache, all in one forward; then the three cached ones decode
    // together
    ModelDims dims = TinyModels.smallDims();
    Map<String, float[]> w = TinyModels.randomWeights(dims, 13);
    RefModel ref = new RefModel(dims, w);
    int[] a = randomTokens(dims, 5, 5);
    int[] b = randomTokens(dims, 3, 6);
    int[] c = randomTokens(dims, 4, 7);
    int[] d = randomTokens(dims, 3, 8);
    try (BaseModel model = BaseModel.fromWeights(dims, (n, s) -> w.get(n), TestDevice.device());
        KvStore store = new KvStore(model, 4, 2)) {
      KvCache spare = store.allocate();
      KvCache ca = store.allocate();
      KvCache cb = store.allocate();
      spare.close(); // c gets slot 0, after a (1) and b (2): slots out of order
      KvCache cc = store.allocate();
      try (NDManager step = model.manager().newSubManager()) {
        model.forwardLast(
            step,
            concat(a, b),
            List.of(new Segment(a.length, ca), new Segment(b.length, cb)),
            AdapterHook.NONE);
      }
      int na = 7;
      int nb = 9;
      try (NDManager step = model.manager().newSubManager()) {
        float[] last =
            model
                .forwardLast(
                    step,
                    concat(new int[] {na}, c, new int[] {nb}, d),
                    List.of(
                        new Segment(1, ca),
                        new Segment(c.length, cc),
                        new Segment(1, cb),
                        Segment.of(d.length)),
                    AdapterHook.NONE)
                .toFloatArray();
        assertRowClose(last, 0, lastRow(ref, concat(a, new int[] {na})));
        assertRowClose(last, 1, lastRow(ref, c));
        assertRowClose(last, 2, lastRow(ref, concat(b, new int[] {nb})));
        assertRowClose(last, 3, lastRow(ref, d));
      }
      try (NDManager step = model.manager().newSubManager()) {
        float[] last =
            model
                .forwardLast(
                    step,
                    new int[] {1, 2, 3},
                    List.of(new Segment(1, cc), new Segment(1, ca), new Segment(1, cb)),
                    AdapterHook.NONE)
                .toFloatArray();
        assertRowClose(last, 0, lastRow(ref, concat(c, new int[] {1})));
        assertRowClose(last, 1, lastRow(ref, concat(a, new int[] {na, 2})));
        assertRowClose(last, 2, lastRow(ref, concat(b, new int[] {nb, 3})));
      }
    }
  }

  static double[] lastRow(RefModel ref, int[] tokens) {
    double[][] logits = ref.logits(tokens, RefAdapter.NONE);
    return logits[logits.length - 1];
  }

  static int[] concat(int[]... parts) {
    return java.util.Arrays.stream(parts).flatMapToInt(java.util.Arrays::stream).toArray();
  }

  @Test
  void rejectsTokensOutsideTheVocabulary() {
    ModelDims dims = TinyModels.smallDims();
    Map<String, float[]> w = TinyModels.randomWeights(dims, 1);
    try (BaseModel model = BaseModel.fromWeights(dims, (n, s) -> w.get(n), TestDevice.device());
        NDManager step = model.manager().newSubManager()) {
      assertThatThrownBy(
              () ->
                  model.forward(
                      step,
                      new int[] {1, dims.vocabSize()},
                      List.of(Segment.of(2)),
                      AdapterHook.NONE))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("outside the vocabulary");
    }
  }

  static int[] randomTokens(ModelDims dims, int n, long seed) {
    var r = new SplittableRandom(seed);
    int[] t = new int[n];
    for (int i = 0; i < n; i++) {
      t[i] = r.nextInt(dims.vocabSize());
    }
    return t;
  }

  static int argMax(float[] rows, int row, int vocab) {
    int best = 0;
    for (int i = 1; i < vocab; i++) {
      if (rows[row * vocab + i] > rows[row * vocab + best]) {
        best = i;
      }
    }
    return best;
  }

  static void assertClose(float[] actual, double[][] expected) {
    int vocab = expected[0].length;
    assertThat(actual).hasSize(expected.length * vocab);
    for (int r = 0; r < expected.length; r++) {
      assertRowClose(actual, r, expected[r]);
    }
  }

  static void assertRowClose(float[] actual, int row, double[] expected) {
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(actual[row * expected.length + i] - expected[i]));
    }
    assertThat(worst).as("max |logit - reference| of row %d", row).isLessThan(TOL);
  }
}
