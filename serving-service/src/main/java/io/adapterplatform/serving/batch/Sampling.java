package io.adapterplatform.serving.batch;

import java.util.concurrent.ThreadLocalRandom;

/**
 * How a request picks its next token. {@code temperature} 0 is greedy (the highest logit, the
 * lowest token id on a tie, as {@code bin/platform engine generate} does); above 0 the token is
 * drawn from softmax(logits / temperature), restricted to the smallest set of most probable tokens
 * whose mass reaches {@code topP}. {@code seed} starts the request's own generator: the same
 * request with the same seed gives the same tokens whatever else shares its batches.
 */
public record Sampling(double temperature, double topP, long seed) {

  public Sampling {
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be >= 0 and finite, got " + temperature);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
    }
  }

  /** Greedy decoding. */
  public static Sampling greedy() {
    return new Sampling(0, 1, 0);
  }

  /** Sampling without a seed of the caller's: a fresh one is drawn. */
  public static Sampling unseeded(double temperature, double topP) {
    return new Sampling(temperature, topP, ThreadLocalRandom.current().nextLong());
  }

  public boolean isGreedy() {
    return temperature == 0;
  }
}
