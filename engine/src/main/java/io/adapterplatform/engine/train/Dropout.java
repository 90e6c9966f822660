package io.adapterplatform.engine.train;

import ai.djl.ndarray.NDArray;
import java.util.random.RandomGenerator;

/**
 * Inverted dropout on a LoRA's input, as {@code torch.nn.Dropout} in training mode: each element is
 * kept with probability 1 − p and then scaled by 1/(1 − p), or zeroed.
 *
 * <p>The mask is drawn in Java, element by element in row-major order, from the job's own generator
 * for the step (not libtorch's global one): a job's rows are the same whether it trains alone or
 * fused, so its masks are too, and a resumed job draws the masks it would have drawn.
 */
final class Dropout {

  private Dropout() {}

  /** The mask factors (0 or 1/(1 − p)) for {@code count} elements. */
  static float[] mask(RandomGenerator rng, double p, int count) {
    float keep = (float) (1.0 / (1.0 - p));
    float[] out = new float[count];
    for (int i = 0; i < count; i++) {
      out[i] = rng.nextDouble() < p ? 0f : keep;
    }
    return out;
  }

  /**
   * {@code x} with dropout p, the mask in x's manager; {@code x} itself when p is 0 or {@code rng}
   * is null (evaluation).
   */
  static NDArray apply(NDArray x, double p, RandomGenerator rng) {
    if (p <= 0 || rng == null) {
      return x;
    }
    float[] m = mask(rng, p, Math.toIntExact(x.size()));
    NDArray factors = x.getManager().create(m, x.getShape()).toType(x.getDataType(), false);
    return x.mul(factors);
  }
}
