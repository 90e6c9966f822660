package io.adapterplatform.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RouterJitterTest {

  @Test
  void multipliesEachElementByAFactorWithinOneMinusToOnePlusEpsilonReproducibly() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.randomNormal(new Shape(64, 32)).add(3f);
      float eps = 0.1f;

      double[] a = Float64.of(RouterJitter.apply(x, eps, new SplittableRandom(5)));
      double[] b = Float64.of(RouterJitter.apply(x, eps, new SplittableRandom(5)));
      double[] c = Float64.of(RouterJitter.apply(x, eps, new SplittableRandom(6)));

      double[] original = Float64.of(x);
      assertThat(a).containsExactly(b);
      assertThat(a).isNotEqualTo(c);
      double min = Double.MAX_VALUE, max = -Double.MAX_VALUE, mean = 0;
      for (int i = 0; i < a.length; i++) {
        double factor = a[i] / original[i];
        min = Math.min(min, factor);
        max = Math.max(max, factor);
        mean += factor / a.length;
      }
      assertThat(min).isGreaterThanOrEqualTo(1 - eps - 1e-6).isLessThan(1 - 0.9 * eps);
      assertThat(max).isLessThanOrEqualTo(1 + eps + 1e-6).isGreaterThan(1 + 0.9 * eps);
      assertThat(mean).isBetween(0.99, 1.01);
    }
  }

  @Test
  void zeroEpsilonLeavesTheInputAlone() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.randomNormal(new Shape(3, 4));

      assertThat(RouterJitter.apply(x, 0f, new SplittableRandom(1))).isSameAs(x);
    }
  }
}
