package io.adapterplatform.engine.reference;

import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.adapter.Dora;
import io.adapterplatform.engine.adapter.Lora;
import io.adapterplatform.engine.adapter.LoraPair;
import io.adapterplatform.engine.adapter.MixLora;
import io.adapterplatform.engine.adapter.ModuleKey;
import io.adapterplatform.engine.format.Projection;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/** Float64 references of LoRA, DoRA and MixLoRA, written from the equations with per-row loops. */
public final class RefAdapters {

  private RefAdapters() {}

  /** The reference of any adapter value (null: no adapter). */
  public static RefAdapter of(AdapterWeights w) {
    if (w == null) {
      return RefAdapter.NONE;
    }
    return switch (w) {
      case Lora l ->
          new RefAdapter() {
            @Override
            public double[] linear(int layer, Projection p, double[] x, RefMatrix weight) {
              return lora(
                  weight.times(x), l.modules().get(new ModuleKey(layer, p)), l.scaling(), x);
            }
          };
      case Dora d ->
          new RefAdapter() {
            @Override
            public double[] linear(int layer, Projection p, double[] x, RefMatrix weight) {
              ModuleKey key = new ModuleKey(layer, p);
              LoraPair pair = d.modules().get(key);
              double[] y = lora(weight.times(x), pair, d.scaling(), x);
              if (pair == null) {
                return y;
              }
              // DoRA: m ⊙ (W x + s B A x) / ‖W + s B A‖, norm of each output row over the input dim
              RefMatrix merged =
                  weight.plus(
                      d.scaling(),
                      matrix(pair.out(), pair.rank(), pair.b())
                          .times(matrix(pair.rank(), pair.in(), pair.a())));
              float[] m = d.magnitudes().get(key);
              for (int o = 0; o < y.length; o++) {
                double norm = 0;
                for (int c = 0; c < merged.cols(); c++) {
                  norm += merged.get(o, c) * merged.get(o, c);
                }
                y[o] *= m[o] / Math.sqrt(norm);
              }
              return y;
            }
          };
      case MixLora m -> new MixRef(m);
    };
  }

  /** W x + s · B (A x). */
  static double[] lora(double[] wx, LoraPair pair, double s, double[] x) {
    if (pair == null) {
      return wx;
    }
    double[] ax = matrix(pair.rank(), pair.in(), pair.a()).times(x);
    double[] bax = matrix(pair.out(), pair.rank(), pair.b()).times(ax);
    double[] y = wx.clone();
    for (int i = 0; i < y.length; i++) {
      y[i] += s * bax[i];
    }
    return y;
  }

  static RefMatrix matrix(int rows, int cols, float[] v) {
    return RefMatrix.of(rows, cols, v);
  }

  /** MixLoRA as the reference package computes it: W2 applied per selected expert. */
  static final class MixRef implements RefAdapter {
    private final MixLora m;

    MixRef(MixLora m) {
      this.m = m;
    }

    @Override
    public double[] linear(int layer, Projection p, double[] x, RefMatrix w) {
      return lora(w.times(x), m.modules().get(new ModuleKey(layer, p)), m.scaling(), x);
    }

    @Override
    public double[] ffn(int layer, double[] x, RefModel.Layer w) {
      int e = m.numExperts();
      double[] logits = matrix(e, x.length, m.routers().get(layer)).times(x);
      double[] p = softmax(logits);
      Integer[] order = IntStream.range(0, e).boxed().toArray(Integer[]::new);
      Arrays.sort(order, Comparator.comparingDouble(i -> -p[i]));
      double total = 0;
      for (int j = 0; j < m.topK(); j++) {
        total += p[order[j]];
      }
      double[] out = new double[x.length];
      for (int j = 0; j < m.topK(); j++) {
        int expert = order[j];
        double weight = p[expert] / total;
        double[] g = expertLinear(layer, Projection.GATE, expert, x, w);
        double[] u = expertLinear(layer, Projection.UP, expert, x, w);
        double[] h = new double[g.length];
        for (int i = 0; i < h.length; i++) {
          h[i] = RefAdapter.silu(g[i]) * u[i];
        }
        double[] y = expertLinear(layer, Projection.DOWN, expert, h, w);
        for (int i = 0; i < out.length; i++) {
          out[i] += weight * y[i];
        }
      }
      return out;
    }

    private double[] expertLinear(
        int layer, Projection p, int expert, double[] x, RefModel.Layer w) {
      return lora(
          w.weight(p).times(x),
          m.experts().get(new MixLora.ExpertKey(layer, p, expert)),
          m.expertScaling(),
          x);
    }

    private static double[] softmax(double[] v) {
      double max = Arrays.stream(v).max().orElse(0);
      double[] e = Arrays.stream(v).map(d -> Math.exp(d - max)).toArray();
      double sum = Arrays.stream(e).sum();
      return Arrays.stream(e).map(d -> d / sum).toArray();
    }
  }
}
