package io.adapterplatform.engine.format;

import java.util.Arrays;

/**
 * One tensor of a safetensors file: its name, dtype, shape and byte range {@code [begin, end)}
 * relative to the start of the data section (just after the header).
 *
 * @param shape dimensions, outermost first; the accessor returns a copy
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

  public TensorInfo {
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Number of dimensions. */
  public int rank() {
    return shape.length;
  }

  /** Size of dimension {@code i}. */
  public long dim(int i) {
    return shape[i];
  }

  /** Whether the shape equals the given dimensions. */
  public boolean hasShape(long... dims) {
    return Arrays.equals(shape, dims);
  }

  /** Product of the dimensions (1 for a scalar). */
  public long elementCount() {
    return elementCount(shape);
  }

  /** {@code end - begin}. */
  public long byteLength() {
    return end - begin;
  }

  static long elementCount(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** The shape as safetensors would print it, e.g. {@code [16, 1024]}. */
  public String shapeString() {
    return Arrays.toString(shape);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorInfo t
        && name.equals(t.name)
        && dtype == t.dtype
        && Arrays.equals(shape, t.shape)
        && begin == t.begin
        && end == t.end;
  }

  @Override
  public int hashCode() {
    return 31 * (31 * name.hashCode() + dtype.hashCode())
        + Arrays.hashCode(shape)
        + Long.hashCode(begin);
  }

  @Override
  public String toString() {
    return name + " " + dtype + " " + shapeString() + " @[" + begin + ", " + end + ")";
  }
}
