package io.adapterplatform.engine.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AdapterInitTest {

  @Test
  void loraAIsKaimingUniformWithBoundOneOverSqrtFanIn() {
    assertThat(AdapterInit.loraABound(64)).isCloseTo(1.0 / 8, within(1e-12));
    try (NDManager m = NDManager.newBaseManager()) {
      int rank = 16, in = 256;

      double[] a = Float64.of(AdapterInit.loraA(m, rank, in, new SplittableRandom(3)));

      double bound = 1 / Math.sqrt(in);
      double mean = 0, square = 0, max = 0;
      for (double v : a) {
        mean += v / a.length;
        square += v * v / a.length;
        max = Math.max(max, Math.abs(v));
      }
      assertThat(max).isLessThanOrEqualTo(bound).isGreaterThan(0.98 * bound);
      assertThat(mean).isCloseTo(0, within(0.05 * bound));
      assertThat(square)
          .isCloseTo(bound * bound / 3, within(0.05 * bound * bound)); // variance of U(-b, b)
    }
  }

  @Test
  void sameSeedSameWeightsOtherSeedOtherWeights() {
    try (NDManager m = NDManager.newBaseManager()) {
      double[] first = Float64.of(AdapterInit.loraA(m, 4, 32, new SplittableRandom(9)));
      double[] again = Float64.of(AdapterInit.loraA(m, 4, 32, new SplittableRandom(9)));
      double[] other = Float64.of(AdapterInit.loraA(m, 4, 32, new SplittableRandom(10)));
      double[] router = Float64.of(AdapterInit.router(m, 8, 32, 0.02, new SplittableRandom(9)));
      double[] routerAgain =
          Float64.of(AdapterInit.router(m, 8, 32, 0.02, new SplittableRandom(9)));

      assertThat(first).containsExactly(again);
      assertThat(first).isNotEqualTo(other);
      assertThat(router).containsExactly(routerAgain);
    }
  }

  @Test
  void loraBStartsAtZero() {
    try (NDManager m = NDManager.newBaseManager()) {
      var b = AdapterInit.loraB(m, 24, 8);

      assertThat(b.getShape()).isEqualTo(new Shape(24, 8));
      assertThat(Float64.of(b)).containsOnly(0.0);
    }
  }

  @Test
  void doraMagnitudeIsTheRowNormOfTheBaseWeight() {
    var rng = new SplittableRandom(4);
    int out = 7, in = 13;
    float[] w = Float64.randomFloats(rng, out * in, 1.0);
    try (NDManager m = NDManager.newBaseManager()) {
      double[] magnitude = Float64.of(AdapterInit.doraMagnitude(m.create(w, new Shape(out, in))));

      double[] expected = new double[out];
      for (int o = 0; o < out; o++) {
        double s = 0;
        for (int i = 0; i < in; i++) {
          s += (double) w[o * in + i] * w[o * in + i];
        }
        expected[o] = Math.sqrt(s);
      }
      assertThat(Float64.maxRelativeError(magnitude, expected)).isLessThan(1e-6);
    }
  }

  @Test
  void routerIsNormalWithTheInitRange() {
    try (NDManager m = NDManager.newBaseManager()) {
      double range = 0.02;

      double[] r = Float64.of(AdapterInit.router(m, 8, 1024, range, new SplittableRandom(12)));

      double mean = 0, square = 0;
      for (double v : r) {
        mean += v / r.length;
        square += v * v / r.length;
      }
      assertThat(mean).isCloseTo(0, within(0.05 * range));
      assertThat(Math.sqrt(square)).isCloseTo(range, within(0.03 * range));
    }
  }
}
