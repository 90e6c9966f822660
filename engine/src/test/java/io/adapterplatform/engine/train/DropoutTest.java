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
import java.util.List;
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

  /**
   * MixLoRA's FFN with dropout, as the reference: each expert LoRA drops its own input (gate and up
   * independently, down on the expert's hidden state); router and base projections see x. Masks
   * drawn expert by expert (ascending), gate, up, down, over the expert's rows in row order.
   */
  @Test
  void mixLoraExpertsDropTheirOwnInputsAsTheReference() {
    int layer = 1;
    int rows = 6;
    int hidden = dims.hiddenSize();
    int inter = dims.intermediateSize();
    var spec = new MixLoraSpec(4, 2, 3, 6, 0.5, 0.01f, 0f, EnumSet.noneOf(Projection.class), 0.25);
    Projection[] ffn = {Projection.GATE, Projection.UP, Projection.DOWN};
    try (NDManager m = model.manager().newSubManager()) {
      TrainableMixLora mix = TrainableMixLora.init(model, spec, 12, m);
      var rng = new SplittableRandom(13);
      for (int e = 0; e < spec.experts(); e++) {
        for (Projection p : ffn) {
          NDArray b = mix.expertB(layer, e, p);
          b.addi(m.create(Float64.randomFloats(rng, (int) b.size(), 0.3), b.getShape()));
        }
      }
      float[] xs = Float64.randomFloats(rng, rows * hidden, 1.0);
      NDArray x = m.create(xs, new Shape(rows, hidden));
      var w = model.layer(layer);
      NDArray g = x.matMul(w.gate().transpose());
      NDArray u = x.matMul(w.up().transpose());

      NDArray y = mix.ffn(layer, x, g, u, w, new java.util.ArrayList<>(), new SplittableRandom(21));

      double s = spec.scaling();
      double[] wg = Float64.of(w.gate());
      double[] wu = Float64.of(w.up());
      double[] wd = Float64.of(w.down());
      double[] router = Float64.of(mix.router(layer));
      int k = spec.topK();
      int experts = spec.experts();
      // routing in float64
      double[][] weightOf = new double[rows][experts]; // renormalised top-k weight, 0 if not chosen
      for (int r = 0; r < rows; r++) {
        double[] logits = new double[experts];
        double max = Double.NEGATIVE_INFINITY;
        for (int e = 0; e < experts; e++) {
          for (int i = 0; i < hidden; i++) {
            logits[e] += router[e * hidden + i] * xs[r * hidden + i];
          }
          max = Math.max(max, logits[e]);
        }
        double[] prob = new double[experts];
        double z = 0;
        for (int e = 0; e < experts; e++) {
          prob[e] = Math.exp(logits[e] - max);
          z += prob[e];
        }
        Integer[] order = {0, 1, 2, 3};
        java.util.Arrays.sort(order, (a, b) -> Double.compare(prob[b], prob[a]));
        double kept = 0;
        for (int j = 0; j < k; j++) {
          kept += prob[order[j]] / z;
        }
        for (int j = 0; j < k; j++) {
          weightOf[r][order[j]] = prob[order[j]] / z / kept;
        }
      }
      var masks = new SplittableRandom(21);
      double[] expected = new double[rows * hidden];
      for (int e = 0; e < experts; e++) {
        List<Integer> mine = new java.util.ArrayList<>();
        for (int r = 0; r < rows; r++) {
          if (weightOf[r][e] > 0) {
            mine.add(r);
          }
        }
        if (mine.isEmpty()) {
          continue;
        }
        int n = mine.size();
        float[] gateMask = Dropout.mask(masks, spec.dropout(), n * hidden);
        float[] upMask = Dropout.mask(masks, spec.dropout(), n * hidden);
        float[] downMask = Dropout.mask(masks, spec.dropout(), n * inter);
        double[][] a = new double[3][];
        double[][] b = new double[3][];
        for (int f = 0; f < 3; f++) {
          a[f] = Float64.of(mix.expertA(layer, e, ffn[f]));
          b[f] = Float64.of(mix.expertB(layer, e, ffn[f]));
        }
        for (int c = 0; c < n; c++) {
          int r = mine.get(c);
          double[] xr = new double[hidden];
          double[] xg = new double[hidden];
          double[] xu = new double[hidden];
          for (int i = 0; i < hidden; i++) {
            xr[i] = xs[r * hidden + i];
            xg[i] = xr[i] * gateMask[c * hidden + i];
            xu[i] = xr[i] * upMask[c * hidden + i];
          }
          double[] gate = add(matVec(wg, xr, inter, hidden), lora(a[0], b[0], xg, s));
          double[] up = add(matVec(wu, xr, inter, hidden), lora(a[1], b[1], xu, s));
          double[] h = new double[inter];
          double[] hd = new double[inter];
          for (int i = 0; i < inter; i++) {
            h[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
            hd[i] = h[i] * downMask[c * inter + i];
          }
          double[] out = add(matVec(wd, h, hidden, inter), lora(a[2], b[2], hd, s));
          for (int o = 0; o < hidden; o++) {
            expected[r * hidden + o] += weightOf[r][e] * out[o];
          }
        }
      }
      assertThat(Float64.maxRelativeError(Float64.of(y), expected)).isLessThan(1e-5);
    }
  }

  private static double[] matVec(double[] w, double[] x, int out, int in) {
    double[] y = new double[out];
    for (int o = 0; o < out; o++) {
      for (int i = 0; i < in; i++) {
        y[o] += w[o * in + i] * x[i];
      }
    }
    return y;
  }

  // s·B A x for A [r, in], B [out, r]
  private static double[] lora(double[] a, double[] b, double[] x, double s) {
    int in = x.length;
    int r = a.length / in;
    int out = b.length / r;
    double[] ax = matVec(a, x, r, in);
    double[] y = matVec(b, ax, out, r);
    for (int o = 0; o < out; o++) {
      y[o] *= s;
    }
    return y;
  }

  private static double[] add(double[] a, double[] b) {
    double[] y = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      y[i] = a[i] + b[i];
    }
    return y;
  }
}
