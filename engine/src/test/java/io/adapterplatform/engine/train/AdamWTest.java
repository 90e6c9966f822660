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

class AdamWTest {

  /**
   * float64 reference of the same rule on loss = Σ_k ½·w_k·(p_k − c_k)², whose gradient is w·(p −
   * c): global-norm clipping, decoupled decay, bias-corrected moments, the schedule's learning
   * rate.
   */
  static double[][] reference(
      double[][] p,
      double[][] w,
      double[][] c,
      AdamW.Hyper h,
      LrSchedule s,
      int steps,
      List<Double> norms) {
    double[][] m = new double[p.length][];
    double[][] v = new double[p.length][];
    for (int i = 0; i < p.length; i++) {
      p[i] = p[i].clone();
      m[i] = new double[p[i].length];
      v[i] = new double[p[i].length];
    }
    for (int step = 0; step < steps; step++) {
      double[][] g = new double[p.length][];
      double sq = 0;
      for (int i = 0; i < p.length; i++) {
        g[i] = new double[p[i].length];
        for (int k = 0; k < p[i].length; k++) {
          g[i][k] = w[i][k] * (p[i][k] - c[i][k]);
          sq += g[i][k] * g[i][k];
        }
      }
      double norm = Math.sqrt(sq);
      norms.add(norm);
      double clip = norm > h.maxGradNorm() ? h.maxGradNorm() / (norm + 1e-6) : 1;
      double lr = s.at(step);
      int t = step + 1;
      for (int i = 0; i < p.length; i++) {
        for (int k = 0; k < p[i].length; k++) {
          double gk = g[i][k] * clip;
          m[i][k] = h.beta1() * m[i][k] + (1 - h.beta1()) * gk;
          v[i][k] = h.beta2() * v[i][k] + (1 - h.beta2()) * gk * gk;
          p[i][k] *= 1 - lr * h.weightDecay();
          double mHat = m[i][k] / (1 - Math.pow(h.beta1(), t));
          double denom = Math.sqrt(v[i][k]) / Math.sqrt(1 - Math.pow(h.beta2(), t)) + h.eps();
          p[i][k] -= lr * mHat / denom;
        }
      }
    }
    return p;
  }

  @ParameterizedTest
  @CsvSource({
    "CONSTANT, 0, 1.0, 0.0, 21",
    "LINEAR, 3, 0.5, 0.01, 22",
    "COSINE, 2, 2.0, 0.1, 23",
    "COSINE, 0, 1000, 0.05, 24"
  })
  void matchesFloat64ReferenceOverSeveralSteps(
      LrSchedule.Decay decay, int warmup, double maxNorm, double decayRate, long seed) {
    var rng = new SplittableRandom(seed);
    int[][] shapes = {{3, 5}, {7, 2}, {11}};
    var hyper = new AdamW.Hyper(0.9, 0.999, 1e-8, decayRate, maxNorm);
    var schedule = new LrSchedule(0.05, warmup, 12, decay);
    int steps = 10;
    double[][] p0 = new double[shapes.length][];
    double[][] w = new double[shapes.length][];
    double[][] c = new double[shapes.length][];
    try (NDManager m = NDManager.newBaseManager()) {
      List<NDArray> params = new ArrayList<>();
      List<NDArray> weights = new ArrayList<>();
      List<NDArray> centres = new ArrayList<>();
      for (int i = 0; i < shapes.length; i++) {
        Shape shape = new Shape(java.util.Arrays.stream(shapes[i]).asLongStream().toArray());
        int n = Math.toIntExact(shape.size());
        float[] pv = Float64.randomFloats(rng, n, 2.0);
        float[] wv = new float[n];
        for (int k = 0; k < n; k++) {
          wv[k] = (float) (0.5 + 3 * rng.nextDouble());
        }
        float[] cv = Float64.randomFloats(rng, n, 1.0);
        p0[i] = Float64.widen(pv);
        w[i] = Float64.widen(wv);
        c[i] = Float64.widen(cv);
        NDArray param = m.create(pv, shape);
        param.setRequiresGradient(true);
        params.add(param);
        weights.add(m.create(wv, shape));
        centres.add(m.create(cv, shape));
      }
      var optimizer = new AdamW(params, hyper, schedule, m);

      List<Double> norms = new ArrayList<>();
      for (int step = 0; step < steps; step++) {
        try (NDManager scope = m.newSubManager();
            var collector = Engine.getInstance().newGradientCollector()) {
          NDArray loss = null;
          for (int i = 0; i < params.size(); i++) {
            NDArray d = params.get(i).sub(centres.get(i));
            d.attach(scope);
            NDArray term = d.square().mul(weights.get(i)).sum().mul(0.5f);
            loss = loss == null ? term : loss.add(term);
          }
          collector.backward(loss);
        }
        var stats = optimizer.step();
        norms.add(stats.gradNorm());
        assertThat(stats.learningRate()).isEqualTo(schedule.at(step));
      }

      List<Double> expectedNorms = new ArrayList<>();
      double[][] expected = reference(p0, w, c, hyper, schedule, steps, expectedNorms);
      for (int i = 0; i < params.size(); i++) {
        assertThat(Float64.maxRelativeError(Float64.of(params.get(i)), expected[i]))
            .isLessThan(2e-5);
      }
      for (int step = 0; step < steps; step++) {
        assertThat(norms.get(step))
            .isCloseTo(expectedNorms.get(step), within(1e-4 * expectedNorms.get(step)));
      }
      assertThat(optimizer.stepsTaken()).isEqualTo(steps);
    }
  }

  @Test
  void gradientsAreZeroedAfterEachStep() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray p = m.create(new float[] {1f, -2f, 3f});
      p.setRequiresGradient(true);
      var optimizer = new AdamW(List.of(p), AdamW.Hyper.defaults(), LrSchedule.constant(0.1), m);
      try (var collector = Engine.getInstance().newGradientCollector()) {
        collector.backward(p.square().sum());
      }

      optimizer.step();

      assertThat(Float64.of(p.getGradient())).containsOnly(0.0);
    }
  }

  @Test
  void scheduleWarmsUpLinearlyThenDecays() {
    var linear = new LrSchedule(1.0, 4, 14, LrSchedule.Decay.LINEAR);
    var cosine = new LrSchedule(1.0, 4, 14, LrSchedule.Decay.COSINE);
    var constant = new LrSchedule(1.0, 4, 14, LrSchedule.Decay.CONSTANT);

    assertThat(linear.at(0)).isEqualTo(0.25);
    assertThat(linear.at(3)).isEqualTo(1.0);
    assertThat(linear.at(9)).isCloseTo(0.5, within(1e-12));
    assertThat(linear.at(14)).isEqualTo(0.0);
    assertThat(linear.at(40)).isEqualTo(0.0);
    assertThat(cosine.at(9)).isCloseTo(0.5, within(1e-12));
    assertThat(cosine.at(6)).isCloseTo(0.5 * (1 + Math.cos(Math.PI * 0.2)), within(1e-12));
    assertThat(constant.at(13)).isEqualTo(1.0);
  }
}
