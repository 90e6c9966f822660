package io.adapterplatform.engine.testing;

import io.adapterplatform.engine.adapter.Dora;
import io.adapterplatform.engine.adapter.Lora;
import io.adapterplatform.engine.adapter.LoraPair;
import io.adapterplatform.engine.adapter.MixLora;
import io.adapterplatform.engine.adapter.ModuleKey;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.model.Projection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
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

    /** PEFT scaling: α/r, or α/√r with rsLoRA. */
    public static double scaling(double alpha, int rank, boolean rslora) {
        return rslora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    /**
     * A random LoRA on {@code targets} of every layer. B is random (not PEFT's zero init) so that the
     * delta is visible; deltas are of the order of a tenth of the base projection.
     */
    public static Lora randomLora(ModelDims dims, int rank, double alpha, boolean rslora, Set<Projection> targets,
                                  long seed) {
        var random = new SplittableRandom(seed);
        return new Lora(rank, scaling(alpha, rank, rslora), pairs(dims, rank, alpha, rslora, targets, random));
    }

    /** A random DoRA: a random LoRA plus magnitude vectors of the order of the base weights' row norms. */
    public static Dora randomDora(ModelDims dims, int rank, double alpha, Set<Projection> targets, long seed) {
        var random = new SplittableRandom(seed);
        Map<ModuleKey, LoraPair> pairs = pairs(dims, rank, alpha, false, targets, random);
        Map<ModuleKey, float[]> magnitudes = new HashMap<>();
        for (var e : pairs.entrySet()) {
            // rows of the base weights have norm ≈ √(in · (1/in) / 3) ≈ 0.58
            magnitudes.put(e.getKey(), uniformIn(random, e.getValue().out(), 0.4, 0.8));
        }
        return new Dora(rank, scaling(alpha, rank, false), pairs, magnitudes);
    }

    /**
     * A random MixLoRA: routers on every layer, each expert with LoRA on gate, up and down (expert e skips
     * {@code skipProjectionOfExpert1} when not null, to exercise "missing projection uses the base"), and
     * plain LoRA on {@code attentionTargets}.
     */
    public static MixLora randomMixLora(ModelDims dims, int rank, double alpha, int experts, int topK,
                                       Set<Projection> attentionTargets, Projection skipProjectionOfExpert1,
                                       long seed) {
        var random = new SplittableRandom(seed);
        double s = scaling(alpha, rank, false);
        Map<Integer, float[]> routers = new HashMap<>();
        Map<MixLora.ExpertKey, LoraPair> expertPairs = new HashMap<>();
        for (int l = 0; l < dims.numLayers(); l++) {
            routers.put(l, gaussian(random, experts * dims.hiddenSize(), 2.0 / Math.sqrt(dims.hiddenSize())));
            for (int e = 0; e < experts; e++) {
                for (Projection p : new Projection[] {Projection.GATE, Projection.UP, Projection.DOWN}) {
                    if (e == 1 && p == skipProjectionOfExpert1) {
                        continue;
                    }
                    expertPairs.put(new MixLora.ExpertKey(l, p, e), pair(dims, p, rank, s, random));
                }
            }
        }
        return new MixLora(rank, s, rank, s, experts, topK, routers, pairs(dims, rank, alpha, false, attentionTargets, random),
                expertPairs);
    }

    private static Map<ModuleKey, LoraPair> pairs(ModelDims dims, int rank, double alpha, boolean rslora,
                                                  Set<Projection> targets, SplittableRandom random) {
        double s = scaling(alpha, rank, rslora);
        Map<ModuleKey, LoraPair> pairs = new HashMap<>();
        for (int l = 0; l < dims.numLayers(); l++) {
            for (Projection p : Projection.values()) {
                if (targets.contains(p)) {
                    pairs.put(new ModuleKey(l, p), pair(dims, p, rank, s, random));
                }
            }
        }
        return pairs;
    }

    private static LoraPair pair(ModelDims dims, Projection p, int rank, double scaling, SplittableRandom random) {
        int in = dims.inFeatures(p);
        int out = dims.outFeatures(p);
        // ‖s · B A x‖ ≈ 0.3 ‖W x‖ whatever the scaling, so every kind of adapter moves the logits visibly
        return new LoraPair(rank, in, out, uniform(random, rank * in, 1.0 / Math.sqrt(in)),
                uniform(random, out * rank, 0.3 / (scaling * Math.sqrt(rank))));
    }

    private static float[] uniformIn(SplittableRandom random, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (lo + random.nextDouble() * (hi - lo));
        }
        return v;
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
