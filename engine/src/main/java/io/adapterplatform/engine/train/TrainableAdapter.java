package io.adapterplatform.engine.train;

import ai.djl.ndarray.NDArray;
import io.adapterplatform.engine.format.Projection;
import java.util.List;
import java.util.Map;

/**
 * The trainable parameters of one job's adapter: leaf arrays that require gradients, owned by the
 * job. Base weights are never among them.
 */
public sealed interface TrainableAdapter permits TrainableLora, TrainableMixLora {

  /** Every trainable array, in a fixed order (the optimizer's order). */
  List<NDArray> parameters();

  /** The tensors under their names in the adapter's on-disk layout (PEFT or MixLoRA reference). */
  Map<String, NDArray> namedTensors();

  /**
   * Whether this adapter changes projection {@code p} of layer {@code layer} through a plain
   * LoRA/DoRA.
   */
  boolean adapts(int layer, Projection p);

  /**
   * The adapted output of rows {@code x} [rows, in] of projection {@code p}, given the frozen
   * product {@code base} = x·Wᵀ [rows, out] and W [out, in]. Returns {@code base} itself where
   * nothing adapts.
   */
  default NDArray linear(int layer, Projection p, NDArray x, NDArray base, NDArray w) {
    return linear(layer, p, x, x, base, w);
  }

  /**
   * As {@link #linear(int, Projection, NDArray, NDArray, NDArray)}, with {@code loraInput} the
   * adapter's own input: {@code x} after this job's dropout ({@code x} itself without dropout). The
   * frozen product {@code base} always sees the undropped x, as in PEFT.
   */
  NDArray linear(int layer, Projection p, NDArray x, NDArray loraInput, NDArray base, NDArray w);

  /** The dropout probability of this adapter's LoRA inputs (0: none). */
  double dropout();
}
