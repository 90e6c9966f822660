package io.adapterplatform.engine.train;

import ai.djl.ndarray.NDArray;

/**
 * DJL puts the result of an operation in the manager of its first operand. Transposed views of
 * frozen weights or of job parameters would therefore pile up in the model's or the job's manager,
 * once per step; these helpers move such per-step arrays into the manager of the step's
 * activations.
 */
final class Step {

  private Step() {}

  /** {@code w}ᵀ as a view owned by the manager of {@code like} (the step's). */
  static NDArray transposed(NDArray w, NDArray like) {
    NDArray t = w.transpose();
    t.attach(like.getManager());
    return t;
  }

  /**
   * A scalar operand for an operation autograd records, owned by the manager of {@code like} (the
   * step's).
   *
   * <p>Why not {@code x.mul(number)}: DJL builds the scalar from a Java direct buffer and closes it
   * as soon as the operation returns, which lets the garbage collector free that buffer, while
   * autograd keeps the scalar for the backward pass (the gradient of {@code x·s} needs s). A
   * collection between forward and backward then made the backward read freed memory: fused or
   * repeated runs differed now and then, once with a NaN. Here the scalar stays referenced until
   * the step's manager closes.
   */
  static NDArray scalar(NDArray like, float value) {
    return like.getManager().create(value);
  }

  /** {@code array}, moved into the manager of {@code like}. */
  static NDArray owned(NDArray array, NDArray like) {
    array.attach(like.getManager());
    return array;
  }
}
