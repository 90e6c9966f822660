package io.adapterplatform.serving.batch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Picks tokens and computes log-probabilities from one row of logits, on the host, in double
 * precision. Every choice depends only on the row and the request's own generator, never on the
 * other rows of the batch.
 */
final class Sampler {

  private Sampler() {}

  /** The highest logit, the lowest id on a tie (as {@code bin/platform engine generate}). */
  static int argMax(float[] logits, int offset, int vocab) {
    int best = 0;
    for (int i = 1; i < vocab; i++) {
      if (logits[offset + i] > logits[offset + best]) {
        best = i;
      }
    }
    return best;
  }

  /**
   * Greedy, or a draw from softmax(logits / T) restricted to the top-p nucleus. A sampled token
   * consumes exactly one number of {@code random}, so the n-th token of a seeded request always
   * uses the n-th number of its stream.
   */
  static int choose(float[] logits, int offset, int vocab, Sampling s, SplittableRandom random) {
    if (s.isGreedy()) {
      return argMax(logits, offset, vocab);
    }
    double u = random.nextDouble();
    double max = logits[offset + argMax(logits, offset, vocab)];
    double[] p = new double[vocab];
    double total = 0;
    for (int i = 0; i < vocab; i++) {
      p[i] = Math.exp((logits[offset + i] - max) / s.temperature());
      total += p[i];
    }
    if (s.topP() >= 1) {
      return walk(p, null, vocab, u * total);
    }
    int[] order = byProbabilityDescending(p);
    double mass = 0;
    int kept = 0;
    while (kept < vocab && mass < s.topP() * total) {
      mass += p[order[kept++]];
    }
    return walk(p, order, kept, u * mass);
  }

  // the first token (in order) at which the running mass passes target
  private static int walk(double[] p, int[] order, int n, double target) {
    double mass = 0;
    int last = order == null ? 0 : order[0];
    for (int k = 0; k < n; k++) {
      int i = order == null ? k : order[k];
      if (p[i] <= 0) {
        continue;
      }
      mass += p[i];
      last = i;
      if (mass > target) {
        return i;
      }
    }
    return last; // rounding left the target a hair above the summed mass
  }

  // token ids by probability, highest first, lower id first on a tie
  private static int[] byProbabilityDescending(double[] p) {
    long[] keys = new long[p.length];
    for (int i = 0; i < p.length; i++) {
      // for non-negative floats the bit pattern orders like the value
      long bits = Float.floatToIntBits((float) p[i]);
      keys[i] = ((Integer.MAX_VALUE - bits) << 32) | i;
    }
    Arrays.sort(keys);
    int[] order = new int[p.length];
    for (int i = 0; i < p.length; i++) {
      order[i] = (int) keys[i];
    }
    return order;
  }

  /**
   * log-softmax of the row at {@code token}, and the {@code top} most probable tokens (most
   * probable first, lower id first on a tie).
   */
  static TokenLogprobs logprobs(float[] logits, int offset, int vocab, int token, int top) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < vocab; i++) {
      max = Math.max(max, logits[offset + i]);
    }
    double sum = 0;
    for (int i = 0; i < vocab; i++) {
      sum += Math.exp(logits[offset + i] - max);
    }
    double logZ = max + Math.log(sum);
    int n = Math.min(top, vocab);
    int[] best = new int[n];
    int filled = 0;
    for (int i = 0; i < vocab; i++) {
      float v = logits[offset + i];
      if (filled < n) {
        best[filled++] = i;
      } else if (n > 0 && v > logits[offset + best[n - 1]]) {
        best[n - 1] = i;
      } else {
        continue;
      }
      // insertion: ids arrive in increasing order, so strict > keeps the lower id first on ties
      for (int k = filled - 1;
          k > 0 && logits[offset + best[k]] > logits[offset + best[k - 1]];
          k--) {
        int t = best[k];
        best[k] = best[k - 1];
        best[k - 1] = t;
      }
    }
    List<TopLogprob> tops = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      tops.add(new TopLogprob(best[k], logits[offset + best[k]] - logZ));
    }
    return new TokenLogprobs(logits[offset + token] - logZ, tops);
  }
}
