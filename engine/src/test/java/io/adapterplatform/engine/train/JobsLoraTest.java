package io.adapterplatform.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.testing.TinyModels;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The grouped LoRA terms of several jobs against a float64 per-row loop: the values, and the
 * gradients each job's A and B receive (from its own rows only).
 */
class JobsLoraTest {

  static ModelDims dims = TinyModels.smallDims();
  static BaseModel model;

  @BeforeAll
  static void loadModel() {
    model = TinyTraining.model(dims, 7);
  }

  @AfterAll
  static void closeModel() {
    model.close();
  }

  /**
   * @param rowsPerJob rows of each job, in order ("4 4 4": equal, the block-diagonal form; else
   *     masked)
   * @param ranks rank of each job's LoRA
   * @param adapting which jobs have a LoRA on the projection ('1') and which not ('0')
   */
  @ParameterizedTest
  @CsvSource({
    "Q,    4 4 4,   4 4 4,  111",
    "DOWN, 3 3,     2 2,    11",
    "K,    2 5 1 3, 4 2 4 1, 1111",
    "UP,   6 1 4,   2 3 4,  101",
    "O,    4 4 4,   4 4 4,  011",
    "V,    1 7,     3 3,    11",
  })
  void equalsEachRowThroughItsOwnJobsLora(
      Projection p, String rowsPerJob, String ranks, String adapting) {
    int[] rows = ints(rowsPerJob);
    int[] rank = ints(ranks);
    var rng = new SplittableRandom(rows.length * 31L + p.ordinal());
    int in = dims.inFeatures(p);
    int out = dims.outFeatures(p);
    try (NDManager m = model.manager().newSubManager()) {
      List<JobsLora.Part> parts = new ArrayList<>();
      List<Integer> jobOf = new ArrayList<>();
      long key = 0;
      int n = 0;
      for (int j = 0; j < rows.length; j++) {
        if (adapting.charAt(j) == '1') {
          var spec = new LoraSpec(rank[j], 2.0 + j, j % 2 == 1, false, EnumSet.of(p));
          TrainableLora lora = TrainableLora.init(model, spec, 100 + j, m);
          lora.b(0, p).set(Float64.randomFloats(rng, out * rank[j], 1.0)); // B starts at zero
          parts.add(new JobsLora.Part(n, n + rows[j], lora));
          jobOf.add(j);
          key |= 1L << j;
        }
        n += rows[j];
      }
      float[] x = Float64.randomFloats(rng, n * in, 1.0);
      float[] upstream = Float64.randomFloats(rng, n * out, 1.0);
      NDArray xs = m.create(x, new Shape(n, in));
      double[] delta;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray d = new JobsLora(n).delta(0, p, xs, parts, key, parts.size() == rows.length);
        delta = Float64.of(d);
        collector.backward(d.mul(m.create(upstream, new Shape(n, out))).sum());
      }

      double[] expected = new double[n * out];
      for (int i = 0; i < parts.size(); i++) {
        JobsLora.Part part = parts.get(i);
        int r = rank[jobOf.get(i)];
        double s = part.lora().spec().scaling();
        double[] a = Float64.of(part.lora().a(0, p)); // [r, in]
        double[] b = Float64.of(part.lora().b(0, p)); // [out, r]
        double[] gradA = new double[r * in];
        double[] gradB = new double[out * r];
        for (int row = part.start(); row < part.end(); row++) {
          double[] h = new double[r];
          for (int k = 0; k < r; k++) {
            for (int c = 0; c < in; c++) {
              h[k] += a[k * in + c] * x[row * in + c];
            }
          }
          double[] dh = new double[r];
          for (int o = 0; o < out; o++) {
            double u = upstream[row * out + o];
            for (int k = 0; k < r; k++) {
              expected[row * out + o] += s * b[o * r + k] * h[k];
              gradB[o * r + k] += s * u * h[k];
              dh[k] += s * u * b[o * r + k];
            }
          }
          for (int k = 0; k < r; k++) {
            for (int c = 0; c < in; c++) {
              gradA[k * in + c] += dh[k] * x[row * in + c];
            }
          }
        }
        assertThat(Float64.maxRelativeError(Float64.of(part.lora().a(0, p).getGradient()), gradA))
            .as("gradient of job %d's A", jobOf.get(i))
            .isLessThan(1e-4);
        assertThat(Float64.maxRelativeError(Float64.of(part.lora().b(0, p).getGradient()), gradB))
            .as("gradient of job %d's B", jobOf.get(i))
            .isLessThan(1e-4);
      }
      assertThat(Float64.maxRelativeError(delta, expected)).isLessThan(1e-4);
    }
  }

  private static int[] ints(String spaced) {
    String[] parts = spaced.trim().split("\\s+");
    int[] out = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      out[i] = Integer.parseInt(parts[i]);
    }
    return out;
  }
}
