package io.adapterplatform.engine.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LoadBalanceLossTest {

  /**
   * float64 reference of the pooled loss, and its gradient with respect to every logit (f held
   * constant).
   */
  record Reference(double loss, double[] grad) {}

  static Reference reference(
      double[][] layers, int tokens, int experts, int[] mask, int topK, double coef) {
    int pairs = layers.length * tokens;
    double[][] p = new double[pairs][experts];
    double[] f = new double[experts];
    double[] meanProb = new double[experts];
    double counted = 0;
    for (int l = 0; l < layers.length; l++) {
      for (int t = 0; t < tokens; t++) {
        int row = l * tokens + t;
        double max = Double.NEGATIVE_INFINITY;
        for (int e = 0; e < experts; e++) {
          max = Math.max(max, layers[l][t * experts + e]);
        }
        double z = 0;
        for (int e = 0; e < experts; e++) {
          z += Math.exp(layers[l][t * experts + e] - max);
        }
        for (int e = 0; e < experts; e++) {
          p[row][e] = Math.exp(layers[l][t * experts + e] - max) / z;
        }
        if (mask[t] == 0) {
          continue;
        }
        counted++;
        boolean[] taken = new boolean[experts];
        for (int k = 0; k < topK; k++) {
          int best = -1;
          for (int e = 0; e < experts; e++) {
            if (!taken[e] && (best < 0 || p[row][e] > p[row][best])) {
              best = e;
            }
          }
          taken[best] = true;
          f[best]++;
        }
        for (int e = 0; e < experts; e++) {
          meanProb[e] += p[row][e];
        }
      }
    }
    double loss = 0;
    for (int e = 0; e < experts; e++) {
      f[e] /= counted;
      meanProb[e] /= counted;
      loss += f[e] * meanProb[e];
    }
    double scale = coef * experts;
    // d/dlogit_j of Σ_e f_e p_e for one pair = p_j (f_j - Σ_e f_e p_e), divided by the count.
    double[] grad = new double[pairs * experts];
    for (int row = 0; row < pairs; row++) {
      if (mask[row % tokens] == 0) {
        continue;
      }
      double dot = 0;
      for (int e = 0; e < experts; e++) {
        dot += f[e] * p[row][e];
      }
      for (int j = 0; j < experts; j++) {
        grad[row * experts + j] = scale * p[row][j] * (f[j] - dot) / counted;
      }
    }
    return new Reference(scale * loss, grad);
  }

  @ParameterizedTest
  @CsvSource({"1, 5, 4, 1, 11", "2, 7, 8, 2, 12", "3, 16, 8, 2, 13", "4, 9, 6, 3, 14"})
  void matchesFloat64ReferencePooledOverLayers(
      int layerCount, int tokens, int experts, int topK, long seed) {
    var rng = new SplittableRandom(seed);
    double coef = 0.01;
    int[] mask = new int[tokens];
    for (int t = 0; t < tokens; t++) {
      mask[t] = t == 0 || rng.nextInt(4) != 0 ? 1 : 0;
    }
    double[][] reference = new double[layerCount][];
    try (NDManager m = NDManager.newBaseManager()) {
      List<NDArray> logits = new ArrayList<>();
      for (int l = 0; l < layerCount; l++) {
        float[] values = Float64.randomFloats(rng, tokens * experts, 3.0);
        reference[l] = Float64.widen(values);
        NDArray layer = m.create(values, new Shape(tokens, experts));
        layer.setRequiresGradient(true);
        logits.add(layer);
      }

      NDArray loss;
      try (var collector = Engine.getInstance().newGradientCollector()) {
        loss = LoadBalanceLoss.loss(logits, m.create(mask), topK, (float) coef);
        collector.backward(loss);
      }

      Reference expected = reference(reference, tokens, experts, mask, topK, coef);
      assertThat((double) loss.getFloat())
          .isCloseTo(expected.loss(), within(1e-6 * Math.max(1, expected.loss())));
      double[] grad = new double[layerCount * tokens * experts];
      for (int l = 0; l < layerCount; l++) {
        double[] g = Float64.of(logits.get(l).getGradient());
        System.arraycopy(g, 0, grad, l * tokens * experts, g.length);
      }
      assertThat(Float64.maxRelativeError(grad, expected.grad())).isLessThan(1e-7);
    }
  }

  @Test
  void perfectlyBalancedRoutingCostsCoefTimesTopK() {
    int experts = 4;
    float[] logits = new float[experts * experts];
    for (int t = 0; t < experts; t++) {
      logits[t * experts + t] = 5f; // token t prefers expert t; second choices spread evenly too
      logits[t * experts + (t + 1) % experts] = 4f;
    }
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray loss =
          LoadBalanceLoss.loss(
              List.of(m.create(logits, new Shape(experts, experts))), null, 2, 0.5f);

      assertThat((double) loss.getFloat()).isCloseTo(0.5 * 2, within(1e-6));
    }
  }

  @Test
  void collapsedRoutingCostsMoreThanBalanced() {
    try (NDManager m = NDManager.newBaseManager()) {
      float[] collapsed = new float[8 * 4];
      for (int t = 0; t < 8; t++) {
        collapsed[t * 4] = 6f;
      }
      float[] balanced = new float[8 * 4];
      for (int t = 0; t < 8; t++) {
        balanced[t * 4 + t % 4] = 6f;
      }

      float collapsedLoss =
          LoadBalanceLoss.loss(List.of(m.create(collapsed, new Shape(8, 4))), null, 1, 1f)
              .getFloat();
      float balancedLoss =
          LoadBalanceLoss.loss(List.of(m.create(balanced, new Shape(8, 4))), null, 1, 1f)
              .getFloat();

      assertThat(collapsedLoss).isGreaterThan(3f * balancedLoss);
    }
  }
}
