package io.adapterplatform.engine.model;

import io.adapterplatform.engine.format.Projection;

/**
 * The shape of a LLaMA-family model, as read from {@code config.json}.
 *
 * @param hiddenSize width of the residual stream
 * @param intermediateSize width of the SwiGLU FFN
 * @param numLayers decoder layers
 * @param numHeads query heads
 * @param numKvHeads key/value heads (grouped-query attention when fewer than {@code numHeads})
 * @param headDim width of one head
 * @param rmsNormEps epsilon of every RMSNorm
 * @param ropeTheta base of the rotary embedding frequencies
 * @param tieWordEmbeddings whether lm_head reuses the token embedding matrix
 * @param vocabSize number of tokens
 */
public record ModelDims(
    int hiddenSize,
    int intermediateSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    double rmsNormEps,
    double ropeTheta,
    boolean tieWordEmbeddings,
    int vocabSize) {

  public ModelDims {
    if (hiddenSize <= 0
        || intermediateSize <= 0
        || numLayers <= 0
        || numHeads <= 0
        || numKvHeads <= 0
        || headDim <= 0
        || vocabSize <= 0) {
      throw new IllegalArgumentException(
          "model dimensions must be positive: "
              + describe(
                  hiddenSize,
                  intermediateSize,
                  numLayers,
                  numHeads,
                  numKvHeads,
                  headDim,
                  vocabSize));
    }
    if (numHeads % numKvHeads != 0) {
      throw new IllegalArgumentException(
          "num_attention_heads "
              + numHeads
              + " is not a multiple of num_key_value_heads "
              + numKvHeads);
    }
    if (headDim % 2 != 0) {
      throw new IllegalArgumentException(
          "head_dim " + headDim + " must be even for rotary embeddings");
    }
  }

  private static String describe(int... v) {
    return java.util.Arrays.toString(v);
  }

  /** [out, in] of a projection's weight matrix. */
  public int[] projectionShape(Projection p) {
    return switch (p) {
      case Q -> new int[] {numHeads * headDim, hiddenSize};
      case K, V -> new int[] {numKvHeads * headDim, hiddenSize};
      case O -> new int[] {hiddenSize, numHeads * headDim};
      case GATE, UP -> new int[] {intermediateSize, hiddenSize};
      case DOWN -> new int[] {hiddenSize, intermediateSize};
    };
  }

  public int inFeatures(Projection p) {
    return projectionShape(p)[1];
  }

  public int outFeatures(Projection p) {
    return projectionShape(p)[0];
  }
}
