package io.adapterplatform.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.SplittableRandom;

/** Plain float64 helpers for the reference implementations in these tests. */
final class Float64 {

  private Float64() {}

  static double[] of(NDArray array) {
    return array.toType(DataType.FLOAT64, false).toDoubleArray();
  }

  static float[] randomFloats(SplittableRandom rng, int n, double scale) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) (scale * (2 * rng.nextDouble() - 1));
    }
    return out;
  }

  static double[] widen(float[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  /** Largest |a - b| / max(1, |b|). */
  static double maxRelativeError(double[] actual, double[] expected) {
    if (actual.length != expected.length) {
      throw new AssertionError("length " + actual.length + " != " + expected.length);
    }
    double worst = 0;
    for (int i = 0; i < actual.length; i++) {
      worst =
          Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1.0, Math.abs(expected[i])));
    }
    return worst;
  }
}
