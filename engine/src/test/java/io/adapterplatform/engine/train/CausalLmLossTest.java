package io.adapterplatform.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CausalLmLossTest {

  /** float64 reference: mean over masked targets of -log softmax(logits[r, t-1])[tokens[r, t]]. */
  static double referenceLoss(
      double[] logits, long[] tokens, int[] mask, int rows, int seq, int vocab) {
    double sum = 0;
    int count = 0;
    for (int r = 0; r < rows; r++) {
      for (int t = 1; t < seq; t++) {
        if (mask[r * seq + t] == 0) {
          continue;
        }
        int base = (r * seq + t - 1) * vocab;
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
          max = Math.max(max, logits[base + v]);
        }
        double z = 0;
        for (int v = 0; v < vocab; v++) {
          z += Math.exp(logits[base + v] - max);
        }
        sum += -(logits[base + (int) tokens[r * seq + t]] - max - Math.log(z));
        count++;
      }
    }
    return count == 0 ? 0 : sum / count;
  }

  /** d loss / d logits of the reference, by its closed form (softmax - onehot) / count. */
  static double[] referenceGrad(
      double[] logits, long[] tokens, int[] mask, int rows, int seq, int vocab) {
    double[] grad = new double[logits.length];
    int count = 0;
    for (int r = 0; r < rows; r++) {
      for (int t = 1; t < seq; t++) {
        count += mask[r * seq + t];
      }
    }
    for (int r = 0; r < rows; r++) {
      for (int t = 1; t < seq; t++) {
        if (mask[r * seq + t] == 0) {
          continue;
        }
        int base = (r * seq + t - 1) * vocab;
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
          max = Math.max(max, logits[base + v]);
        }
        double z = 0;
        for (int v = 0; v < vocab; v++) {
          z += Math.exp(logits[base + v] - max);
        }
        for (int v = 0; v < vocab; v++) {
          grad[base + v] += Math.exp(logits[base + v] - max) / z / count;
        }
        grad[base + (int) tokens[r * seq + t]] -= 1.0 / count;
      }
    }
    return grad;
  }

  @ParameterizedTest
  @CsvSource({"1, 2, 3, 1", "3, 5, 7, 2", "4, 9, 31, 3", "2, 16, 50, 4"})
  void matchesFloat64ReferenceOnCompletionTokensOnly(int rows, int seq, int vocab, long seed) {
    var rng = new SplittableRandom(seed);
    float[] logits = Float64.randomFloats(rng, rows * seq * vocab, 4.0);
    long[] tokens = new long[rows * seq];
    int[] mask = new int[rows * seq];
    for (int r = 0; r < rows; r++) {
      int promptLength = rng.nextInt(1, seq);
      for (int t = 0; t < seq; t++) {
        tokens[r * seq + t] = rng.nextInt(vocab);
        mask[r * seq + t] = t >= promptLength ? 1 : 0;
      }
    }
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray logitsArray = m.create(logits, new Shape(rows, seq, vocab));
      logitsArray.setRequiresGradient(true);

      NDArray loss;
      try (var collector = Engine.getInstance().newGradientCollector()) {
        loss =
            CausalLmLoss.loss(
                logitsArray,
                m.create(tokens, new Shape(rows, seq)),
                m.create(mask, new Shape(rows, seq)));
        collector.backward(loss);
      }

      double expected = referenceLoss(Float64.widen(logits), tokens, mask, rows, seq, vocab);
      assertThat(loss.getFloat())
          .isCloseTo(
              (float) expected,
              org.assertj.core.data.Offset.offset((float) (1e-5 * Math.max(1, expected))));
      double[] grad = Float64.of(logitsArray.getGradient());
      assertThat(
              Float64.maxRelativeError(
                  grad, referenceGrad(Float64.widen(logits), tokens, mask, rows, seq, vocab)))
          .isLessThan(1e-6);
    }
  }

  @Test
  void promptTokensDoNotChangeTheLoss() {
    var rng = new SplittableRandom(7);
    int rows = 2, seq = 6, vocab = 11;
    float[] logits = Float64.randomFloats(rng, rows * seq * vocab, 3.0);
    long[] tokens = new long[rows * seq];
    int[] mask = {0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1};
    try (NDManager m = NDManager.newBaseManager()) {
      float before =
          CausalLmLoss.loss(
                  m.create(logits, new Shape(rows, seq, vocab)),
                  m.create(tokens, new Shape(rows, seq)),
                  m.create(mask, new Shape(rows, seq)))
              .getFloat();
      // Change the logits that predict a prompt token (position 0 predicts token 1, masked in both
      // rows).
      for (int v = 0; v < vocab; v++) {
        logits[v] += 100f;
        logits[seq * vocab + v] -= 50f;
      }
      float after =
          CausalLmLoss.loss(
                  m.create(logits, new Shape(rows, seq, vocab)),
                  m.create(tokens, new Shape(rows, seq)),
                  m.create(mask, new Shape(rows, seq)))
              .getFloat();

      assertThat(after).isEqualTo(before);
    }
  }

  @Test
  void aBatchWithoutCompletionTokensHasLossZero() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray loss =
          CausalLmLoss.loss(
              m.randomNormal(new Shape(2, 4, 5)),
              m.zeros(new Shape(2, 4), ai.djl.ndarray.types.DataType.INT64),
              m.zeros(new Shape(2, 4)));

      assertThat(loss.getFloat()).isZero();
    }
  }
}
