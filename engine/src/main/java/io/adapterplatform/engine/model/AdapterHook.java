package io.adapterplatform.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import io.adapterplatform.engine.format.Projection;

/**
 * How adapters enter the forward pass. The model calls {@link #linear} for every projection and
 * {@link #ffn} for every FFN block; a hook bound to a batch (see {@code fused.AdapterPool#bind})
 * adds each row's own adapter delta. {@link #NONE} is the bare base model.
 *
 * <p>Implementations use only NDArray operations so that gradients flow into adapter parameters
 * when those require gradients (training); base weights never do.
 */
public interface AdapterHook {

  /** The bare base model. */
  AdapterHook NONE = new AdapterHook() {};

  /**
   * One projection of rows {@code x} [rows, in] through frozen weight {@code w} [out, in], plus the
   * rows' adapter deltas. Returns [rows, out].
   */
  default NDArray linear(int layer, Projection p, NDArray x, NDArray w) {
    return project(x, w);
  }

  /**
   * x Wᵀ for rows x [rows, in] and a long-lived weight w [out, in], the result in x's manager.
   *
   * <p>Why not {@code x.matMul(w.transpose())}: DJL puts an operation's result in the manager of
   * its first operand, so {@code w.transpose()} would leave a view in the model's manager at every
   * call (a leak that grows with every step). The view is closed at once instead; closing it never
   * frees w.
   */
  static NDArray project(NDArray x, NDArray w) {
    try (NDArray wt = w.transpose()) {
      return x.matMul(wt);
    }
  }

  /** The SwiGLU FFN of layer {@code layer} on post-attention-normalised rows x [rows, hidden]. */
  default NDArray ffn(int layer, NDArray x, LayerWeights w) {
    // down(silu(gate x) * up x)
    NDArray g = linear(layer, Projection.GATE, x, w.gate());
    NDArray u = linear(layer, Projection.UP, x, w.up());
    return linear(layer, Projection.DOWN, silu(g).mul(u), w.down());
  }

  /** silu(x) = x · sigmoid(x). */
  static NDArray silu(NDArray x) {
    return Activation.sigmoid(x).mul(x);
  }
}
