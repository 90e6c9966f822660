package io.adapterplatform.engine.fused;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.adapterplatform.engine.format.FloatConversions;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The host kernel against a float64 per-pair loop, on fresh random pools of several shapes. */
class HostLoraKernelTest {

  @BeforeEach
  void needsTheVectorApi() {
    assumeTrue(HostKernels.available(), "JVM started without --add-modules jdk.incubator.vector");
  }

  // "own": every pair adds into its own row with (mostly) its own adapter, as in a decode step: the
  // kernel
  // then streams each pair's Bᵀ whole instead of by column blocks
  // BF16: the pool keeps A and Bᵀ as bf16 (raw bytes), the kernel widens them in registers; the
  // weights are
  // drawn as bf16 values, so the float64 reference sees exactly what the kernel reads
  @ParameterizedTest(name = "slots {0}, r {1}, in {2}, out {3}, pairs {4}, rows {5}, {6}")
  @CsvSource({
    "2, 1, 1, 1, 1, shared, FP32",
    "3, 1, 5, 7, 4, shared, FP32",
    "5, 4, 16, 24, 9, shared, FP32",
    "9, 16, 37, 129, 33, shared, FP32",
    "65, 16, 256, 704, 64, shared, FP32",
    "9, 8, 300, 1030, 700, shared, FP32", // many pairs per slot, MixLoRA-like, enough work to run
    // in parallel
    "5, 4, 16, 24, 9, own, FP32", // about two pairs per adapter
    "9, 16, 37, 129, 8, own, FP32",
    "65, 16, 256, 704, 64, own, FP32", // every row its own adapter, enough work to run in parallel
    "3, 1, 5, 7, 4, shared, BF16", // scalar tails only
    "9, 16, 37, 129, 33, shared, BF16",
    "9, 8, 300, 1030, 700, shared, BF16",
    "9, 16, 37, 129, 8, own, BF16",
    "65, 16, 256, 704, 64, own, BF16",
  })
  void addsEveryPairsDeltaIntoItsOutputRow(
      int slots, int r, int in, int out, int pairs, String rows, PoolStorage storage) {
    boolean own = rows.equals("own");
    SplittableRandom rnd =
        new SplittableRandom(slots * 31L + r * 7L + in + out + pairs + (own ? 1 : 0));
    float[] a = random(rnd, slots * r * in, storage);
    float[] bt = random(rnd, slots * r * out, storage);
    int xRows = Math.max(1, pairs / 2 + 1);
    int yRows = own ? pairs : Math.max(1, pairs / 3 + 1);
    float[] x = random(rnd, xRows * in);
    float[] y = random(rnd, yRows * out);
    long[] slot = new long[pairs];
    float[] coef = new float[pairs];
    int[] inRow = new int[pairs];
    int[] outRow = new int[pairs];
    for (int p = 0; p < pairs; p++) {
      // slot 0 = no adapter: must add nothing
      slot[p] = own ? (p == 0 ? 0 : 1 + p % (slots - 1)) : rnd.nextInt(slots);
      coef[p] = rnd.nextInt(5) == 0 ? 0f : (float) (rnd.nextDouble() * 4 - 2);
      inRow[p] = rnd.nextInt(xRows);
      outRow[p] =
          own ? pairs - 1 - p : rnd.nextInt(yRows); // shared: several pairs add into one row
    }
    double[] expected = new double[y.length];
    for (int i = 0; i < y.length; i++) {
      expected[i] = y[i];
    }
    for (int p = 0; p < pairs; p++) {
      if (slot[p] == 0) {
        continue;
      }
      int s = (int) slot[p];
      for (int k = 0; k < r; k++) {
        double t = 0;
        for (int i = 0; i < in; i++) {
          t += (double) a[(s * r + k) * in + i] * x[inRow[p] * in + i];
        }
        t *= coef[p];
        for (int o = 0; o < out; o++) {
          expected[outRow[p] * out + o] += t * bt[(s * r + k) * out + o];
        }
      }
    }

    float[] actual;
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray ya = m.create(y, new Shape(yRows, out));
      GroupedLora.addDelta(
          m,
          ya,
          m.create(x, new Shape(xRows, in)),
          AdapterPool.store(m, a, new Shape(slots, r, in), storage),
          AdapterPool.store(m, bt, new Shape(slots, r, out), storage),
          GroupedLora.Rows.ofKernel(yRows, KernelPlan.of(slot, coef, inRow, outRow)));
      actual = ya.toFloatArray();
    }

    double scale = Math.sqrt(in) * Math.sqrt(r) * 2;
    for (int i = 0; i < expected.length; i++) {
      assertThat((double) actual[i])
          .as("y[%d]", i)
          .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(2e-6 * scale * pairs + 1e-6));
    }
  }

  @ParameterizedTest(
      name =
          "rows {0}, k {1}, slots {2}, r {3}, hidden {4}, inter {5}, gate {6}, down {7}, dora {8}, "
              + "{9}")
  @CsvSource({
    "1, 1, 2, 1, 3, 5, true, true, false, FP32",
    "5, 2, 4, 4, 16, 21, true, true, true, FP32",
    "40, 2, 3, 8, 48, 700, true, true, false, FP32", // many pairs per slot (4-pair blocks), column
    // blocks, parallel
    "40, 2, 3, 8, 48, 700, true, true, true, FP32", // the same with DoRA factors on gate and up for
    // odd slots
    "17, 3, 9, 16, 64, 257, true, false, false, FP32", // no down adapter in the pool
    "23, 2, 5, 8, 40, 300, false, true, true, FP32", // no gate adapter in the pool
    "5, 2, 4, 4, 16, 21, true, true, true, BF16",
    "40, 2, 3, 8, 48, 700, true, true, true, BF16",
    "23, 2, 5, 8, 40, 300, false, true, true, BF16",
  })
  void mixLoraFfnEqualsEachPairsOwnExpertSummedPerRow(
      int rows,
      int k,
      int slots,
      int r,
      int hidden,
      int inter,
      boolean gate,
      boolean down,
      boolean dora,
      PoolStorage storage) {
    SplittableRandom rnd = new SplittableRandom(rows * 131L + k * 17L + slots + r + hidden + inter);
    int pairs = rows * k;
    float[] x = random(rnd, rows * hidden);
    float[] baseG = random(rnd, rows * inter);
    float[] baseU = random(rnd, rows * inter);
    float[] aG = random(rnd, slots * r * hidden, storage);
    float[] bG = random(rnd, slots * r * inter, storage);
    float[] aU = random(rnd, slots * r * hidden, storage);
    float[] bU = random(rnd, slots * r * inter, storage);
    float[] aD = random(rnd, slots * r * inter, storage);
    float[] bD = random(rnd, slots * r * hidden, storage);
    float[] doraG = new float[slots * inter];
    float[] doraU = new float[slots * inter];
    for (int i = 0; i < doraG.length; i++) {
      doraG[i] = (float) (0.5 + rnd.nextDouble());
      doraU[i] = (float) (0.5 + rnd.nextDouble());
    }
    long[] slot = new long[pairs];
    float[] coef = new float[pairs];
    float[] weight = new float[pairs];
    for (int p = 0; p < pairs; p++) {
      slot[p] = rnd.nextInt(slots); // slot 0: the base FFN only
      coef[p] = rnd.nextInt(6) == 0 ? 0f : (float) (rnd.nextDouble() + 0.5);
      weight[p] = rnd.nextInt(5) == 0 ? 0f : (float) rnd.nextDouble(); // 0: an unused choice
    }
    double[] hSum = new double[rows * inter];
    double[] outDelta = new double[rows * hidden];
    for (int p = 0; p < pairs; p++) {
      int row = p / k;
      int s = (int) slot[p];
      boolean adapter = s != 0 && coef[p] != 0f;
      double[] tg = new double[r];
      double[] tu = new double[r];
      for (int j = 0; adapter && j < r; j++) {
        for (int i = 0; i < hidden; i++) {
          tg[j] += gate ? (double) coef[p] * aG[(s * r + j) * hidden + i] * x[row * hidden + i] : 0;
          tu[j] += (double) coef[p] * aU[(s * r + j) * hidden + i] * x[row * hidden + i];
        }
      }
      double[] h = new double[inter];
      boolean factors =
          dora && adapter && s % 2 == 1; // a DoRA slot: its factors scale W x + s·B A x
      for (int o = 0; o < inter; o++) {
        double g = baseG[row * inter + o];
        double u = baseU[row * inter + o];
        for (int j = 0; j < r; j++) {
          g += tg[j] * bG[(s * r + j) * inter + o];
          u += tu[j] * bU[(s * r + j) * inter + o];
        }
        if (factors) {
          g *= doraG[s * inter + o];
          u *= doraU[s * inter + o];
        }
        h[o] = g / (1 + Math.exp(-g)) * u * weight[p];
        hSum[row * inter + o] += h[o];
      }
      for (int j = 0; adapter && down && j < r; j++) {
        double td = 0;
        for (int o = 0; o < inter; o++) {
          td += (double) aD[(s * r + j) * inter + o] * h[o];
        }
        for (int i = 0; i < hidden; i++) {
          outDelta[row * hidden + i] += coef[p] * td * bD[(s * r + j) * hidden + i];
        }
      }
    }

    float[] actualSum;
    float[] actualDelta;
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray sum = m.zeros(new Shape(rows, inter));
      NDArray delta = m.zeros(new Shape(rows, hidden));
      KernelPlan plan = KernelPlan.weightedPairs(slot, coef, k, weight);
      float[] downA =
          HostLoraKernel.mixFfn(
              sum,
              m.create(baseG, new Shape(rows, inter)),
              m.create(baseU, new Shape(rows, inter)),
              m.create(x, new Shape(rows, hidden)),
              gate ? AdapterPool.store(m, aG, new Shape(slots, r, hidden), storage) : null,
              gate ? AdapterPool.store(m, bG, new Shape(slots, r, inter), storage) : null,
              AdapterPool.store(m, aU, new Shape(slots, r, hidden), storage),
              AdapterPool.store(m, bU, new Shape(slots, r, inter), storage),
              down ? AdapterPool.store(m, aD, new Shape(slots, r, inter), storage) : null,
              plan,
              weight,
              dora
                  ? new HostLoraKernel.DoraFactors(
                      m.create(doraG, new Shape(slots, inter)),
                      m.create(doraU, new Shape(slots, inter)),
                      slotIndex -> slotIndex % 2 == 1)
                  : null);
      assertThat(downA == null).as("down A side returned").isEqualTo(!down);
      if (downA != null) {
        HostLoraKernel.expandAll(
            delta,
            AdapterPool.store(m, bD, new Shape(slots, r, hidden), storage),
            plan.intoTheirRows(),
            downA);
      }
      actualSum = sum.toFloatArray();
      actualDelta = delta.toFloatArray();
    }

    for (int i = 0; i < hSum.length; i++) {
      assertThat((double) actualSum[i])
          .as("Σ w·h of row %d, column %d", i / inter, i % inter)
          .isCloseTo(hSum[i], org.assertj.core.data.Offset.offset(1e-4 * (1 + Math.abs(hSum[i]))));
    }
    double deltaScale = Arrays.stream(outDelta).map(Math::abs).max().orElse(0) + 1;
    for (int i = 0; i < outDelta.length; i++) {
      assertThat((double) actualDelta[i])
          .as("ΔW2 of row %d, column %d", i / hidden, i % hidden)
          .isCloseTo(outDelta[i], org.assertj.core.data.Offset.offset(1e-4 * deltaScale));
    }
  }

  @ParameterizedTest(name = "rows {0}, mixes {1}, experts {2}, hidden {3}")
  @CsvSource({"1, 1, 1, 3", "7, 2, 8, 40", "64, 3, 8, 1030", "33, 1, 4, 257"})
  void routerLogitsAreEachRowsOwnRouterTimesTheRow(int rows, int mixes, int experts, int hidden) {
    SplittableRandom rnd = new SplittableRandom(rows * 7L + mixes * 3L + experts + hidden);
    float[] x = random(rnd, rows * hidden);
    float[] routers = random(rnd, (mixes + 1) * experts * hidden);
    int[] rowMix = new int[rows];
    for (int t = 0; t < rows; t++) {
      rowMix[t] = rnd.nextInt(mixes + 1); // 0: a row without MixLoRA, whose logits stay 0
    }

    float[] logits;
    try (NDManager m = NDManager.newBaseManager()) {
      logits =
          HostLoraKernel.routerLogits(
              m.create(x, new Shape(rows, hidden)),
              m.create(routers, new Shape(mixes + 1, experts, hidden)),
              rowMix);
    }

    assertThat(logits).hasSize(rows * experts);
    for (int t = 0; t < rows; t++) {
      for (int e = 0; e < experts; e++) {
        double expected = 0;
        for (int i = 0; rowMix[t] > 0 && i < hidden; i++) {
          expected += (double) routers[(rowMix[t] * experts + e) * hidden + i] * x[t * hidden + i];
        }
        assertThat((double) logits[t * experts + e])
            .as("row %d, expert %d", t, e)
            .isCloseTo(
                expected, org.assertj.core.data.Offset.offset(1e-5 * Math.sqrt(hidden) + 1e-6));
      }
    }
  }

  @Test
  void planKeepsOnlyPairsWithAnAdapterOrderedBySlot() {
    KernelPlan plan = KernelPlan.of(new long[] {3, 0, 1, 3, 1, 2}, new float[] {1, 1, 1, 0, 2, 1});

    assertThat(plan.size()).isEqualTo(4);
    assertThat(new long[] {plan.slot(0), plan.slot(1), plan.slot(2), plan.slot(3)})
        .containsExactly(1, 1, 2, 3);
    assertThat(new int[] {plan.inRow(0), plan.inRow(1), plan.inRow(2), plan.inRow(3)})
        .containsExactly(2, 4, 5, 0);
    assertThat(plan.outRowsDistinct()).isTrue();
    KernelPlan shared =
        KernelPlan.of(
            new long[] {1, 2, 1}, new float[] {1, 1, 1}, new int[] {0, 1, 2}, new int[] {4, 0, 4});
    assertThat(shared.outRowsDistinct()).isFalse();
    assertThat(
            KernelPlan.weightedPairs(
                    new long[] {1, 2, 1, 1}, new float[] {1, 1, 1, 1}, 2, new float[] {1, 1, 1, 1})
                .intoTheirRows()
                .outRowsDistinct())
        .isFalse();
  }

  @Test
  void vectorExpMatchesMathExpAcrossTheFloatRange() {
    SplittableRandom rnd = new SplittableRandom(5);
    int lanes = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
    float[] x = new float[lanes * 4000];
    for (int i = 0; i < x.length; i++) {
      x[i] =
          i < 6
              ? new float[] {0f, -0f, 1f, -1f, 87f, -87f}[i]
              : (float) (rnd.nextDouble() * 174 - 87);
    }
    float[] e = new float[x.length];
    for (int i = 0; i < x.length; i += lanes) {
      HostLoraKernel.exp(
              jdk.incubator.vector.FloatVector.fromArray(
                  jdk.incubator.vector.FloatVector.SPECIES_PREFERRED, x, i))
          .intoArray(e, i);
    }

    for (int i = 0; i < x.length; i++) {
      double expected = Math.exp(x[i]);
      assertThat(Math.abs(e[i] - expected) / expected).as("e^%s", x[i]).isLessThan(4e-7);
    }
  }

  @Test
  void warmUpRunsOnlyOncePerProcess() {
    assertThat(HostKernels.warmUp())
        .isGreaterThanOrEqualTo(0.0); // 0 when another test warmed it already

    assertThat(HostKernels.warmUp()).isZero();
  }

  @Test
  void kernelStrategyRefusesArraysItCannotServe() {
    assertThatThrownBy(() -> GroupedLora.Strategy.KERNEL.resolve(4, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("jdk.incubator.vector");
    assertThat(GroupedLora.Strategy.AUTO.resolve(4, true)).isEqualTo(GroupedLora.Strategy.KERNEL);
    assertThat(GroupedLora.Strategy.AUTO.resolve(4, false))
        .isEqualTo(GroupedLora.Strategy.DISTINCT);
  }

  // uniform in [-1, 1), as values the storage holds exactly
  private static float[] random(SplittableRandom rnd, int n, PoolStorage storage) {
    float[] v = random(rnd, n);
    if (storage == PoolStorage.BF16) {
      for (int i = 0; i < n; i++) {
        v[i] = FloatConversions.bf16ToFloat(FloatConversions.floatToBf16(v[i]));
      }
    }
    return v;
  }

  private static float[] random(SplittableRandom rnd, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (rnd.nextDouble() * 2 - 1);
    }
    return v;
  }
}
