package io.adapterplatform.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * Causal language-model loss on completion tokens only.
 *
 * <p>The logits at position {@code t} predict the token at position {@code t + 1} (shift by one). A
 * target position counts only where the completion mask is 1 there, so prompt and padding tokens
 * never contribute. Normalisation: the sum of the per-token negative log-likelihoods divided by the
 * number of counted target tokens of the rows given (a token-level mean, as Hugging Face's
 * cross-entropy with {@code ignore_index}); a batch with no counted token has loss 0.
 *
 * <p>In a fused step each job's loss is this mean over its own rows and tokens only, which is what
 * makes one backward of the sum of the jobs' losses give each job exactly its own gradient.
 */
public final class CausalLmLoss {

  private CausalLmLoss() {}

  /**
   * Per-position negative log-likelihood of the next token.
   *
   * @param logits [rows, seq, vocab]
   * @param tokens [rows, seq] integer token ids
   * @return [rows, seq - 1]: entry (r, t) is -log p(tokens[r, t+1] | tokens[r, 0..t])
   */
  public static NDArray nextTokenNll(NDArray logits, NDArray tokens) {
    long seq = logits.getShape().get(1);
    NDArray logp =
        logits.get(new NDIndex(":, :{}, :", seq - 1)).logSoftmax(-1); // [rows, seq-1, vocab]
    NDArray targets = tokens.get(new NDIndex(":, 1:")).toType(DataType.INT64, false).expandDims(-1);
    return logp.gather(targets, 2).squeeze(-1).neg();
  }

  /**
   * Mean next-token loss over completion tokens.
   *
   * @param logits [rows, seq, vocab]
   * @param tokens [rows, seq] integer token ids
   * @param completionMask [rows, seq], 1 where the token is a completion token to be learned
   * @return a scalar
   */
  public static NDArray loss(NDArray logits, NDArray tokens, NDArray completionMask) {
    return maskedMean(nextTokenNll(logits, tokens), completionMask);
  }

  /**
   * Mean of per-position losses over the target positions that the mask selects.
   *
   * @param nll [rows, seq - 1] from {@link #nextTokenNll}
   * @param completionMask [rows, seq]; the mask of the first position is ignored (nothing predicts
   *     it)
   */
  public static NDArray maskedMean(NDArray nll, NDArray completionMask) {
    NDArray targetMask = completionMask.get(new NDIndex(":, 1:")).toType(nll.getDataType(), false);
    NDArray count = targetMask.sum().maximum(1f); // an empty selection gives 0, not NaN
    return nll.mul(targetMask).sum().div(count);
  }
}
