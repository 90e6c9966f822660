package io.adapterplatform.engine.reference;

import io.adapterplatform.engine.format.Projection;

/** A float64 reference adapter: per-row, per-projection, no fusion. */
public interface RefAdapter {

  RefAdapter NONE = new RefAdapter() {};

  /** W x (+ this adapter's delta) for one row. */
  default double[] linear(int layer, Projection p, double[] x, RefMatrix w) {
    return w.times(x);
  }

  /** The SwiGLU FFN of one row. */
  default double[] ffn(int layer, double[] x, RefModel.Layer w) {
    double[] g = linear(layer, Projection.GATE, x, w.weight(Projection.GATE));
    double[] u = linear(layer, Projection.UP, x, w.weight(Projection.UP));
    double[] hidden = new double[g.length];
    for (int i = 0; i < g.length; i++) {
      hidden[i] = silu(g[i]) * u[i];
    }
    return linear(layer, Projection.DOWN, hidden, w.weight(Projection.DOWN));
  }

  static double silu(double v) {
    return v / (1 + Math.exp(-v));
  }
}
