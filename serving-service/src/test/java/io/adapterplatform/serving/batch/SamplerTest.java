package io.adapterplatform.serving.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplerTest {

  @Test
  void greedyTakesTheHighestLogitAndTheLowestIdOnATie() {
    float[] logits = {0f, 9f, 1f, 3f, 3f, 2f};

    assertThat(Sampler.argMax(logits, 0, 6)).isEqualTo(1);
    assertThat(Sampler.argMax(logits, 2, 4)).isEqualTo(1); // offset 2: {1, 3, 3, 2}
  }

  @Test
  void topPDrawsOnlyFromTheSmallestSetThatReachesItsMass() {
    // probabilities 0.5, 0.3, 0.15, 0.05
    float[] logits = {
      (float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15), (float) Math.log(0.05)
    };
    Set<Integer> nucleus = new HashSet<>();
    Set<Integer> all = new HashSet<>();
    for (long seed = 0; seed < 400; seed++) {
      nucleus.add(
          Sampler.choose(logits, 0, 4, new Sampling(1, 0.7, seed), new SplittableRandom(seed)));
      all.add(Sampler.choose(logits, 0, 4, new Sampling(1, 1, seed), new SplittableRandom(seed)));
    }

    assertThat(nucleus).containsExactlyInAnyOrder(0, 1);
    assertThat(all).containsExactlyInAnyOrder(0, 1, 2, 3);
  }

  @Test
  void aSeedGivesTheSameDrawsAndEachTokenUsesOneNumberOfTheStream() {
    float[] logits = new float[50];
    var random = new SplittableRandom(3);
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) random.nextGaussian();
    }
    Sampling s = new Sampling(0.9, 0.9, 77);
    var a = new SplittableRandom(77);
    var b = new SplittableRandom(77);
    for (int i = 0; i < 20; i++) {
      assertThat(Sampler.choose(logits, 0, 50, s, a))
          .isEqualTo(Sampler.choose(logits, 0, 50, s, b));
    }
    assertThat(a.nextLong()).isEqualTo(afterDoubles(77, 20));
  }

  private static long afterDoubles(long seed, int n) {
    var r = new SplittableRandom(seed);
    for (int i = 0; i < n; i++) {
      r.nextDouble();
    }
    return r.nextLong();
  }

  @Test
  void logprobsAreTheLogSoftmaxAndTheTopTokensComeMostProbableFirst() {
    float[] logits = {1f, 4f, 2f, 4f, -1f};
    double z = Math.log(Math.exp(1) + Math.exp(4) + Math.exp(2) + Math.exp(4) + Math.exp(-1));

    TokenLogprobs lp = Sampler.logprobs(logits, 0, 5, 2, 3);

    assertThat(lp.logprob()).isCloseTo(2 - z, within(1e-9));
    assertThat(lp.top()).extracting(TopLogprob::tokenId).containsExactly(1, 3, 2);
    assertThat(lp.top().get(0).logprob()).isCloseTo(4 - z, within(1e-9));
    assertThat(Sampler.logprobs(logits, 0, 5, 4, 0).top()).isEmpty();
  }
}
