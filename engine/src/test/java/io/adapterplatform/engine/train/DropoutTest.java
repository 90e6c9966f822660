package io.adapterplatform.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.testing.TinyModels;
import java.util.EnumSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Dropout on the LoRA input (PEFT semantics) against a float64 reference. */
class DropoutTest {

  static ModelDims dims = TinyModels.smallDims();
  static BaseModel model;

  @BeforeAll
  static void loadModel() {
    model = TinyTraining.model(dims, 303);
  }

  @AfterAll
  static void closeModel() {
    model.close();
  }

  @Test
  void theMaskZeroesAboutPAndScalesTheRestByOneOverOneMinusP() {
    float[] mask = Dropout.mask(new SplittableRandom(9), 0.25, 40_000);
    int zeros = 0;
    for (float m : mask) {
      if (m == 0f) {
        zeros++;
      } else {
        assertThat(m).isEqualTo((float) (1 / 0.75));
      }
    }
    assertThat(zeros / 40_000.0).isBetween(0.24, 0.26);
    assertThat(Dropout.mask(new SplittableRandom(9), 0.25, 100))
        .containsExactly(Dropout.mask(new SplittableRandom(9), 0.25, 100));
  }

  @Test
  void withoutProbabilityOrGeneratorTheInputIsUnchanged() {
    try (NDManager m = model.manager().newSubManager()) {
      NDArray x = m.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
      assertThat(Dropout.apply(x, 0.0, new SplittableRandom(1))).isSameAs(x);
      assertThat(Dropout.apply(x, 0.5, null)).isSameAs(x);
    }
  }

  /** PEFT: LoRA {@code W x + s·B A x_d}; DoRA {@code W x + (g − 1)·W x_d + g·s·B A x_d}. */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aLoraWithDropoutComputesPeftsFormula(boolean dora) {
    Projection p = Projection.Q;
    int rows = 5;
    int in = dims.inFeatures(p);
    int out = dims.outFeatures(p);
    int rank = 3;
    double dropout = 0.3;
    var spec = new LoraSpec(rank, 6, false, dora, EnumSet.of(p), dropout);
    try (NDManager m = model.manager().newSubManager()) {
      TrainableLora lora = TrainableLora.init(model, spec, 4, m);
      var rng = new SplittableRandom(11);
      lora.b(1, p).addi(m.create(Float64.randomFloats(rng, out * rank, 0.3), new Shape(out, rank)));
      if (dora) {
        lora.magnitude(1, p).addi(m.create(Float64.randomFloats(rng, out, 0.2), new Shape(out)));
      }
      float[] xs = Float64.randomFloats(rng, rows * in, 1.0);
      NDArray x = m.create(xs, new Shape(rows, in));
      NDArray w = model.layer(1).weight(p);
      NDArray base = x.matMul(w.transpose());

      NDArray y =
          lora.linear(1, p, x, Dropout.apply(x, dropout, new SplittableRandom(77)), base, w);

      float[] mask = Dropout.mask(new SplittableRandom(77), dropout, rows * in);
      double[] wd = Float64.of(w);
      double[] a = Float64.of(lora.a(1, p));
      double[] b = Float64.of(lora.b(1, p));
      double s = spec.scaling();
      double[] norm = new double[out];
      for (int o = 0; o < out; o++) { // ‖W + s·BA‖ per output row
        double sum = 0;
        for (int i = 0; i < in; i++) {
          double ba = 0;
          for (int k = 0; k < rank; k++) {
            ba += b[o * rank + k] * a[k * in + i];
          }
          double v = wd[o * in + i] + s * ba;
          sum += v * v;
        }
        norm[o] = Math.sqrt(sum);
      }
      double[] mag = dora ? Float64.of(lora.magnitude(1, p)) : null;
      double[] expected = new double[rows * out];
      for (int r = 0; r < rows; r++) {
        double[] xd = new double[in];
        for (int i = 0; i < in; i++) {
          xd[i] = (double) xs[r * in + i] * mask[r * in + i];
        }
        double[] ax = new double[rank];
        for (int k = 0; k < rank; k++) {
          for (int i = 0; i < in; i++) {
            ax[k] += a[k * in + i] * xd[i];
          }
        }
        for (int o = 0; o < out; o++) {
          double wx = 0;
          double wxd = 0;
          for (int i = 0; i < in; i++) {
            wx += wd[o * in + i] * xs[r * in + i];
            wxd += wd[o * in + i] * xd[i];
          }
          double bax = 0;
          for (int k = 0; k < rank; k++) {
            bax += b[o * rank + k] * ax[k];
          }
          double g = dora ? mag[o] / norm[o] : 1;
          expected[r * out + o] = wx + (g - 1) * wxd + g * s * bax;
        }
      }
      assertThat(Float64.maxRelativeError(Float64.of(y), expected)).isLessThan(1e-5);
    }
  }
}
