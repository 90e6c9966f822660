package io.adapterplatform.engine.testing;

import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.model.Projection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Fresh random tiny LLaMA models and adapters for tests of every module: nothing is downloaded, everything
 * is derived from a seed. Weights are scaled so that activations stay of order one, which keeps logits
 * far from uniform and makes numerical comparisons meaningful.
 */
public final class TinyModels {

    private TinyModels() {
    }

    /** A small grouped-query shape: hidden 32, 2 layers, 4 heads over 2 kv heads, vocab 64. */
    public static ModelDims smallDims() {
        return new ModelDims(32, 48, 2, 4, 2, 8, 1e-5, 10000.0, false, 64);
    }

    /** Random weights of a model of shape {@code dims}, by Hugging Face name, in insertion order. */
    public static Map<String, float[]> randomWeights(ModelDims dims, long seed) {
        var random = new SplittableRandom(seed);
        Map<String, float[]> w = new LinkedHashMap<>();
        int h = dims.hiddenSize();
        w.put("model.embed_tokens.weight", gaussian(random, dims.vocabSize() * h, 1.0));
        for (int l = 0; l < dims.numLayers(); l++) {
            String prefix = "model.layers." + l + ".";
            w.put(prefix + "input_layernorm.weight", around(random, h, 1.0, 0.1));
            for (Projection p : Projection.values()) {
                int[] shape = dims.projectionShape(p);
                w.put(BaseModel.weightName(l, p), uniform(random, shape[0] * shape[1], 1.0 / Math.sqrt(shape[1])));
            }
            w.put(prefix + "post_attention_layernorm.weight", around(random, h, 1.0, 0.1));
        }
        w.put("model.norm.weight", around(random, h, 1.0, 0.1));
        if (!dims.tieWordEmbeddings()) {
            w.put("lm_head.weight", uniform(random, dims.vocabSize() * h, 2.0 / Math.sqrt(h)));
        }
        return w;
    }

    /** Values uniform in [-bound, bound]. */
    public static float[] uniform(SplittableRandom random, int n, double bound) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
        }
        return v;
    }

    /** Values normal with mean 0 and deviation {@code std}. */
    public static float[] gaussian(SplittableRandom random, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (gaussian(random) * std);
        }
        return v;
    }

    private static float[] around(SplittableRandom random, int n, double mean, double spread) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (mean + (random.nextDouble() * 2 - 1) * spread);
        }
        return v;
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller; SplittableRandom has no nextGaussian of its own stream on every JDK
        double u = 1.0 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
