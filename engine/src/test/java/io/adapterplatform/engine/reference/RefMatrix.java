package io.adapterplatform.engine.reference;

/** A dense float64 matrix [rows, cols], row-major. */
public record RefMatrix(int rows, int cols, double[] v) {

  public static RefMatrix of(int rows, int cols, float[] values) {
    if (values.length != rows * cols) {
      throw new IllegalArgumentException(values.length + " values for " + rows + "x" + cols);
    }
    double[] d = new double[values.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = values[i];
    }
    return new RefMatrix(rows, cols, d);
  }

  public double get(int r, int c) {
    return v[r * cols + c];
  }

  /** this · x for a vector x of length cols. */
  public double[] times(double[] x) {
    if (x.length != cols) {
      throw new IllegalArgumentException("vector of " + x.length + " for " + rows + "x" + cols);
    }
    double[] y = new double[rows];
    for (int r = 0; r < rows; r++) {
      double s = 0;
      for (int c = 0; c < cols; c++) {
        s += v[r * cols + c] * x[c];
      }
      y[r] = s;
    }
    return y;
  }

  /** this + s · other. */
  public RefMatrix plus(double s, RefMatrix other) {
    double[] d = v.clone();
    for (int i = 0; i < d.length; i++) {
      d[i] += s * other.v[i];
    }
    return new RefMatrix(rows, cols, d);
  }

  /** this · other. */
  public RefMatrix times(RefMatrix other) {
    double[] d = new double[rows * other.cols];
    for (int r = 0; r < rows; r++) {
      for (int k = 0; k < cols; k++) {
        double a = v[r * cols + k];
        for (int c = 0; c < other.cols; c++) {
          d[r * other.cols + c] += a * other.v[k * other.cols + c];
        }
      }
    }
    return new RefMatrix(rows, other.cols, d);
  }
}
