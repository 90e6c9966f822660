package io.adapterplatform.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * MixLoRA load-balance loss: {@code router_aux_loss_coef · N · Σ_i f_i · P_i}.
 *
 * <p>As the MixLoRA reference (its Mixtral-style loss) does, the router logits of all layers are
 * pooled before the statistics are taken: f and P are means over every (layer, token) pair, not a
 * per-layer loss summed or averaged afterwards. {@code f_i} is the fraction of (layer, token) pairs
 * that select expert i among their top-k (summed over the k choices, so Σ f_i = k; with k = 1 it is
 * the Switch Transformer's top-1 fraction); {@code P_i} is the mean softmax probability of expert
 * i. Only P carries gradient (f comes from an arg-max). Tokens whose mask is 0 (padding) are left
 * out of both means. Perfectly balanced routing gives {@code coef · k}.
 */
public final class LoadBalanceLoss {

  private LoadBalanceLoss() {}

  /**
   * @param routerLogits one [tokens, experts] array per layer, the same tokens in every layer
   * @param tokenMask [tokens], 1 for a real token, 0 for padding; null counts every token
   * @param topK how many experts each token selects
   * @param coef {@code router_aux_loss_coef}
   * @return a scalar
   */
  public static NDArray loss(List<NDArray> routerLogits, NDArray tokenMask, int topK, float coef) {
    if (routerLogits.isEmpty()) {
      throw new IllegalArgumentException(
          "load-balance loss needs the router logits of at least one layer");
    }
    // [layers * tokens, experts]; DJL's concat of a single array loses the autograd link, hence the
    // special case
    NDArray logits =
        routerLogits.size() == 1
            ? routerLogits.get(0)
            : NDArrays.concat(new NDList(routerLogits), 0);
    NDManager manager = logits.getManager();
    int experts = Math.toIntExact(logits.getShape().get(1));
    long pairs = logits.getShape().get(0);
    NDArray probs = logits.softmax(-1);

    float[] mask = new float[Math.toIntExact(pairs)];
    if (tokenMask == null) {
      java.util.Arrays.fill(mask, 1f);
    } else {
      float[] perToken = tokenMask.toType(DataType.FLOAT32, false).toFloatArray();
      for (int i = 0; i < mask.length; i++) {
        mask[i] = perToken[i % perToken.length];
      }
    }
    float[] p = probs.stopGradient().toType(DataType.FLOAT32, false).toFloatArray();
    double[] f = new double[experts];
    double counted = 0;
    for (int t = 0; t < mask.length; t++) {
      if (mask[t] == 0f) {
        continue;
      }
      counted += mask[t];
      for (int e : topIndices(p, t * experts, experts, topK)) {
        f[e] += mask[t];
      }
    }
    float[] fraction = new float[experts];
    for (int e = 0; e < experts; e++) {
      fraction[e] = (float) (counted == 0 ? 0 : f[e] / counted);
    }
    NDArray m = manager.create(mask, new Shape(pairs, 1)).toType(probs.getDataType(), false);
    // scalar operands as arrays of the step's manager: see Step.scalar (autograd keeps them for the
    // backward)
    NDArray meanProb =
        probs
            .mul(m)
            .sum(new int[] {0})
            .div(Step.scalar(probs, (float) Math.max(counted, 1))); // P_i, [experts]
    NDArray fArr = manager.create(fraction).toType(probs.getDataType(), false);
    return meanProb.mul(fArr).sum().mul(Step.scalar(probs, coef * experts));
  }

  /** Indices of the k largest of values[offset .. offset + n), the first index winning ties. */
  static int[] topIndices(float[] values, int offset, int n, int k) {
    int[] chosen = new int[k];
    boolean[] taken = new boolean[n];
    for (int j = 0; j < k; j++) {
      int best = -1;
      for (int i = 0; i < n; i++) {
        if (!taken[i] && (best < 0 || values[offset + i] > values[offset + best])) {
          best = i;
        }
      }
      taken[best] = true;
      chosen[j] = best;
    }
    return chosen;
  }
}
