package io.adapterplatform.serving.batch;

import java.util.List;

/**
 * The log-probability of a token under the adapter's own log-softmax of the logits (before any
 * temperature), and the {@code top} most probable tokens at that position, most probable first (the
 * lower token id first on a tie).
 */
public record TokenLogprobs(double logprob, List<TopLogprob> top) {

  public TokenLogprobs {
    top = List.copyOf(top);
  }
}
