package io.adapterplatform.engine.train;

import ai.djl.ndarray.NDArray;
import java.util.random.RandomGenerator;

/**
 * MixLoRA router jitter: during training the router's input is multiplied element-wise by noise
 * drawn uniformly from [1 - ε, 1 + ε]. Never applied at inference.
 *
 * <p>The noise is drawn in Java from the job's own seeded generator rather than from libtorch's
 * global one, so that a job sees the same noise whether it trains alone or fused with others.
 */
public final class RouterJitter {

  private RouterJitter() {}

  /** The noise factors for {@code count} elements, in row-major order. */
  public static float[] noise(RandomGenerator rng, float epsilon, int count) {
    float[] out = new float[count];
    for (int i = 0; i < count; i++) {
      out[i] = (float) (1.0 - epsilon + 2.0 * epsilon * rng.nextDouble());
    }
    return out;
  }

  /** {@code x · u}, u ~ U(1 - ε, 1 + ε) per element; x unchanged (same array) when ε is 0. */
  public static NDArray apply(NDArray x, float epsilon, RandomGenerator rng) {
    if (epsilon <= 0f) {
      return x;
    }
    float[] u = noise(rng, epsilon, Math.toIntExact(x.size()));
    NDArray factors = x.getManager().create(u, x.getShape()).toType(x.getDataType(), false);
    return x.mul(factors);
  }
}
