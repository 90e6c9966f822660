package io.adapterplatform.engine.format;

import java.util.Arrays;

/**
 * A tensor to be written: name, dtype and shape, without its bytes (those come later when
 * streaming).
 *
 * @param shape dimensions, outermost first; the accessor returns a copy
 */
public record TensorSpec(String name, DType dtype, long[] shape) {

  public TensorSpec {
    shape = shape.clone();
    if (name == null || name.isEmpty() || name.equals(SafetensorsHeader.METADATA_KEY)) {
      throw new IllegalArgumentException("invalid tensor name '" + name + "'");
    }
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException(
            "tensor '" + name + "' has a negative dimension: " + Arrays.toString(shape));
      }
    }
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Bytes this tensor occupies. */
  public long byteLength() {
    return Math.multiplyExact(TensorInfo.elementCount(shape), dtype.byteSize());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorSpec s
        && name.equals(s.name)
        && dtype == s.dtype
        && Arrays.equals(shape, s.shape);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * name.hashCode() + dtype.hashCode()) + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + " " + dtype + " " + Arrays.toString(shape);
  }
}
