package io.adapterplatform.engine.reference;

import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import java.util.EnumMap;
import java.util.Map;

/**
 * The plain float64 LLaMA the engine is checked against: one token at a time, explicit loops, full
 * causal recompute, no cache, no fusion.
 */
public final class RefModel {

  /** One decoder layer's weights. */
  public record Layer(double[] inputNorm, double[] postNorm, Map<Projection, RefMatrix> weights) {
    public RefMatrix weight(Projection p) {
      return weights.get(p);
    }
  }

  private final ModelDims dims;
  private final RefMatrix embed;
  private final RefMatrix head;
  private final double[] finalNorm;
  private final Layer[] layers;

  public RefModel(ModelDims dims, Map<String, float[]> w) {
    this.dims = dims;
    int h = dims.hiddenSize();
    embed = RefMatrix.of(dims.vocabSize(), h, w.get("model.embed_tokens.weight"));
    head =
        dims.tieWordEmbeddings()
            ? embed
            : RefMatrix.of(dims.vocabSize(), h, w.get("lm_head.weight"));
    finalNorm = toDouble(w.get("model.norm.weight"));
    layers = new Layer[dims.numLayers()];
    for (int l = 0; l < layers.length; l++) {
      Map<Projection, RefMatrix> m = new EnumMap<>(Projection.class);
      for (Projection p : Projection.values()) {
        int[] s = dims.projectionShape(p);
        m.put(p, RefMatrix.of(s[0], s[1], w.get(BaseModel.weightName(l, p))));
      }
      layers[l] =
          new Layer(
              toDouble(w.get("model.layers." + l + ".input_layernorm.weight")),
              toDouble(w.get("model.layers." + l + ".post_attention_layernorm.weight")),
              m);
    }
  }

  public ModelDims dims() {
    return dims;
  }

  public Layer layer(int l) {
    return layers[l];
  }

  /** Logits [n][vocab] of every position of one sequence. */
  public double[][] logits(int[] tokens, RefAdapter adapter) {
    int n = tokens.length;
    int h = dims.hiddenSize();
    int hd = dims.headDim();
    int heads = dims.numHeads();
    int groups = heads / dims.numKvHeads();
    double[][] x = new double[n][];
    for (int t = 0; t < n; t++) {
      x[t] = new double[h];
      for (int c = 0; c < h; c++) {
        x[t][c] = embed.get(tokens[t], c);
      }
    }
    for (int l = 0; l < layers.length; l++) {
      Layer w = layers[l];
      double[][] q = new double[n][];
      double[][] k = new double[n][];
      double[][] v = new double[n][];
      for (int t = 0; t < n; t++) {
        double[] hn = rmsNorm(x[t], w.inputNorm);
        q[t] = rope(adapter.linear(l, Projection.Q, hn, w.weight(Projection.Q)), t);
        k[t] = rope(adapter.linear(l, Projection.K, hn, w.weight(Projection.K)), t);
        v[t] = adapter.linear(l, Projection.V, hn, w.weight(Projection.V));
      }
      for (int t = 0; t < n; t++) {
        double[] ctx = new double[heads * hd];
        for (int head = 0; head < heads; head++) {
          int kvHead = head / groups;
          double[] scores = new double[t + 1];
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j <= t; j++) {
            double s = 0;
            for (int d = 0; d < hd; d++) {
              s += q[t][head * hd + d] * k[j][kvHead * hd + d];
            }
            scores[j] = s / Math.sqrt(hd);
            max = Math.max(max, scores[j]);
          }
          double sum = 0;
          for (int j = 0; j <= t; j++) {
            scores[j] = Math.exp(scores[j] - max);
            sum += scores[j];
          }
          for (int j = 0; j <= t; j++) {
            for (int d = 0; d < hd; d++) {
              ctx[head * hd + d] += scores[j] / sum * v[j][kvHead * hd + d];
            }
          }
        }
        double[] o = adapter.linear(l, Projection.O, ctx, w.weight(Projection.O));
        for (int c = 0; c < h; c++) {
          x[t][c] += o[c];
        }
      }
      for (int t = 0; t < n; t++) {
        double[] f = adapter.ffn(l, rmsNorm(x[t], w.postNorm), w);
        for (int c = 0; c < h; c++) {
          x[t][c] += f[c];
        }
      }
    }
    double[][] logits = new double[n][];
    for (int t = 0; t < n; t++) {
      logits[t] = head.times(rmsNorm(x[t], finalNorm));
    }
    return logits;
  }

  /** Greedy continuation of {@code prompt} by {@code count} tokens (new tokens only). */
  public int[] greedy(int[] prompt, int count, RefAdapter adapter) {
    int[] seq = java.util.Arrays.copyOf(prompt, prompt.length + count);
    for (int i = 0; i < count; i++) {
      double[][] logits = logits(java.util.Arrays.copyOf(seq, prompt.length + i), adapter);
      seq[prompt.length + i] = argMax(logits[logits.length - 1]);
    }
    return java.util.Arrays.copyOfRange(seq, prompt.length, seq.length);
  }

  public static int argMax(double[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }

  /** log-softmax of one row of logits. */
  public static double[] logSoftmax(double[] v) {
    double max = Double.NEGATIVE_INFINITY;
    for (double d : v) {
      max = Math.max(max, d);
    }
    double sum = 0;
    for (double d : v) {
      sum += Math.exp(d - max);
    }
    double lse = max + Math.log(sum);
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i] - lse;
    }
    return out;
  }

  private double[] rmsNorm(double[] x, double[] w) {
    double ms = 0;
    for (double d : x) {
      ms += d * d;
    }
    ms /= x.length;
    double inv = 1 / Math.sqrt(ms + dims.rmsNormEps());
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = x[i] * inv * w[i];
    }
    return y;
  }

  // rotate_half over each head: pairs (i, i + hd/2)
  private double[] rope(double[] x, int pos) {
    int hd = dims.headDim();
    int half = hd / 2;
    double[] y = new double[x.length];
    for (int head = 0; head < x.length / hd; head++) {
      for (int i = 0; i < half; i++) {
        double angle = pos / Math.pow(dims.ropeTheta(), 2.0 * i / hd);
        double c = Math.cos(angle);
        double s = Math.sin(angle);
        double a = x[head * hd + i];
        double b = x[head * hd + i + half];
        y[head * hd + i] = a * c - b * s;
        y[head * hd + i + half] = b * c + a * s;
      }
    }
    return y;
  }

  private static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }
}
