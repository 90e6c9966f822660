package io.adapterplatform.engine.train;

import ai.djl.ndarray.NDArray;

/**
 * DJL puts the result of an operation in the manager of its first operand. Transposed views of frozen
 * weights or of job parameters would therefore pile up in the model's or the job's manager, once per
 * step; these helpers move such per-step arrays into the manager of the step's activations.
 */
final class Step {

    private Step() {}

    /** {@code w}ᵀ as a view owned by the manager of {@code like} (the step's). */
    static NDArray transposed(NDArray w, NDArray like) {
        NDArray t = w.transpose();
        t.attach(like.getManager());
        return t;
    }

    /** {@code array}, moved into the manager of {@code like}. */
    static NDArray owned(NDArray array, NDArray like) {
        array.attach(like.getManager());
        return array;
    }
}
