package io.adapterplatform.engine.testing;

import io.adapterplatform.engine.adapter.AdapterCheckpoint;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.adapter.Dora;
import io.adapterplatform.engine.adapter.Lora;
import io.adapterplatform.engine.adapter.LoraPair;
import io.adapterplatform.engine.adapter.MixLora;
import io.adapterplatform.engine.adapter.ModuleKey;
import io.adapterplatform.engine.format.AdapterConfig;
import io.adapterplatform.engine.format.DType;
import io.adapterplatform.engine.format.ModelConfig;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.format.SafetensorsWriter;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Fresh random tiny LLaMA models and adapters for tests of every module: nothing is downloaded,
 * everything is derived from a seed. Weights are scaled so that activations stay of order one,
 * which keeps logits far from uniform and makes numerical comparisons meaningful.
 */
public final class TinyModels {

  private TinyModels() {}

  /** A small grouped-query shape: hidden 32, 2 layers, 4 heads over 2 kv heads, vocab 64. */
  public static ModelDims smallDims() {
    return new ModelDims(32, 48, 2, 4, 2, 8, 1e-5, 10000.0, false, 64);
  }

  /** A shape that fits the byte-level tokenizer of {@link #writeTokenizer} (vocab 260). */
  public static ModelDims tokenizerDims() {
    return new ModelDims(32, 48, 2, 4, 2, 8, 1e-5, 10000.0, true, TOKENIZER_VOCAB);
  }

  /** The config.json of a model of shape {@code dims}. */
  public static ModelConfig config(ModelDims d) {
    return new ModelConfig(
        "llama",
        List.of("LlamaForCausalLM"),
        d.hiddenSize(),
        d.intermediateSize(),
        d.numLayers(),
        d.numHeads(),
        d.numKvHeads(),
        d.headDim(),
        d.rmsNormEps(),
        d.ropeTheta(),
        d.tieWordEmbeddings(),
        d.vocabSize(),
        2048);
  }

  /**
   * Writes a random model directory: {@code config.json} and {@code model.safetensors} in {@code
   * dtype} (or, with {@code shards} &gt; 1, that many shards plus {@code
   * model.safetensors.index.json}). The weights are first rounded to {@code dtype}, and returned as
   * the fp32 values a reader will see.
   */
  public static Map<String, float[]> writeModel(
      Path dir, ModelDims dims, long seed, DType dtype, int shards) {
    Map<String, float[]> w = randomWeights(dims, seed);
    w.replaceAll((name, v) -> roundTo(v, dtype));
    try {
      Files.createDirectories(dir);
      writeConfig(dir, dims, dims.vocabSize() - 1);
      Map<String, long[]> shapes = shapes(dims);
      List<String> names = new ArrayList<>(w.keySet());
      if (shards <= 1) {
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        names.forEach(n -> writer.addFloats(n, dtype, shapes.get(n), w.get(n)));
        writer.writeTo(dir.resolve("model.safetensors"));
        return w;
      }
      StringBuilder index = new StringBuilder("{\n  \"metadata\": {},\n  \"weight_map\": {");
      for (int s = 0; s < shards; s++) {
        String file = String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        for (int i = s; i < names.size(); i += shards) {
          String n = names.get(i);
          writer.addFloats(n, dtype, shapes.get(n), w.get(n));
          index
              .append(index.charAt(index.length() - 1) == '{' ? "\n    " : ",\n    ")
              .append('"')
              .append(n)
              .append("\": \"")
              .append(file)
              .append('"');
        }
        writer.writeTo(dir.resolve(file));
      }
      index.append("\n  }\n}\n");
      Files.writeString(dir.resolve("model.safetensors.index.json"), index);
      return w;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a tiny model into " + dir, e);
    }
  }

  /**
   * Writes {@code config.json} for {@code dims} with {@code eos_token_id} = {@code eosTokenId} (the
   * last id by default, which is {@link #EOS_ID} for {@link #tokenizerDims()}).
   */
  public static void writeConfig(Path dir, ModelDims dims, int eosTokenId) throws IOException {
    var json =
        com.google.gson.JsonParser.parseString(
                new String(config(dims).toJson(), StandardCharsets.UTF_8))
            .getAsJsonObject();
    json.addProperty("eos_token_id", eosTokenId);
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("config.json"), json + "\n");
  }

  /** Shapes of every weight of a model of shape {@code dims}, by name. */
  public static Map<String, long[]> shapes(ModelDims dims) {
    Map<String, long[]> s = new LinkedHashMap<>();
    long h = dims.hiddenSize();
    s.put("model.embed_tokens.weight", new long[] {dims.vocabSize(), h});
    for (int l = 0; l < dims.numLayers(); l++) {
      s.put("model.layers." + l + ".input_layernorm.weight", new long[] {h});
      s.put("model.layers." + l + ".post_attention_layernorm.weight", new long[] {h});
      for (Projection p : Projection.values()) {
        int[] shape = dims.projectionShape(p);
        s.put(BaseModel.weightName(l, p), new long[] {shape[0], shape[1]});
      }
    }
    s.put("model.norm.weight", new long[] {h});
    s.put("lm_head.weight", new long[] {dims.vocabSize(), h});
    return s;
  }

  /**
   * Writes an adapter directory (adapter_config.json + adapter_model.safetensors) whose tensors are
   * stored in {@code dtype}; the values are first rounded to {@code dtype}, and the adapter a
   * reader will see is returned. {@code alpha} and {@code rslora} must be those the weights'
   * scaling came from.
   */
  public static AdapterWeights writeAdapter(
      Path dir, AdapterWeights weights, double alpha, boolean rslora, DType dtype) {
    AdapterWeights rounded = roundTo(weights, dtype);
    AdapterConfig config =
        switch (rounded) {
          case MixLora m -> {
            List<String> targets = new ArrayList<>(modules(m.modules().keySet()));
            for (var k : m.experts().keySet()) {
              if (!targets.contains(k.projection().module())) {
                targets.add(k.projection().module());
              }
            }
            yield AdapterConfig.mixlora(
                null, m.rank(), alpha, targets, m.numExperts(), m.topK(), 0.02);
          }
          case Dora d ->
              AdapterConfig.lora(
                  null, d.rank(), alpha, modules(d.modules().keySet()), rslora, true);
          case Lora l ->
              AdapterConfig.lora(
                  null, l.rank(), alpha, modules(l.modules().keySet()), rslora, false);
        };
    AdapterCheckpoint.of(config, rounded, dtype).write(dir);
    return rounded;
  }

  private static List<String> modules(java.util.Collection<ModuleKey> keys) {
    List<String> out = new ArrayList<>();
    for (Projection p : Projection.values()) {
      if (keys.stream().anyMatch(k -> k.projection() == p)) {
        out.add(p.module());
      }
    }
    return out;
  }

  /**
   * {@code w} with every tensor rounded to the precision of {@code dtype} (what storing and reading
   * it back gives).
   */
  public static AdapterWeights roundTo(AdapterWeights w, DType dtype) {
    return roundTo(w, dtype, false);
  }

  /**
   * {@code w} with only the A and B matrices rounded to {@code dtype}, routers and DoRA magnitudes
   * kept: what a pool that stores A and B in {@code dtype} applies.
   */
  public static AdapterWeights roundPairsTo(AdapterWeights w, DType dtype) {
    return roundTo(w, dtype, true);
  }

  private static AdapterWeights roundTo(AdapterWeights w, DType dtype, boolean pairsOnly) {
    DType others = pairsOnly ? DType.F32 : dtype;
    Map<ModuleKey, LoraPair> modules = new HashMap<>();
    w.modules().forEach((k, p) -> modules.put(k, roundTo(p, dtype)));
    return switch (w) {
      case Lora l -> new Lora(l.rank(), l.scaling(), modules);
      case Dora d -> {
        Map<ModuleKey, float[]> m = new HashMap<>();
        d.magnitudes().forEach((k, v) -> m.put(k, roundTo(v, others)));
        yield new Dora(d.rank(), d.scaling(), modules, m);
      }
      case MixLora m -> {
        Map<MixLora.ExpertKey, LoraPair> experts = new HashMap<>();
        m.experts().forEach((k, p) -> experts.put(k, roundTo(p, dtype)));
        Map<Integer, float[]> routers = new HashMap<>();
        m.routers().forEach((k, v) -> routers.put(k, roundTo(v, others)));
        yield new MixLora(
            m.rank(),
            m.scaling(),
            m.expertRank(),
            m.expertScaling(),
            m.numExperts(),
            m.topK(),
            routers,
            modules,
            experts);
      }
    };
  }

  private static LoraPair roundTo(LoraPair p, DType dtype) {
    return new LoraPair(p.rank(), p.in(), p.out(), roundTo(p.a(), dtype), roundTo(p.b(), dtype));
  }

  /**
   * {@code v} rounded to the precision of {@code dtype} (what storing and reading it back gives).
   */
  public static float[] roundTo(float[] v, DType dtype) {
    if (dtype == DType.F32) {
      return v.clone();
    }
    var bytes =
        java.nio.ByteBuffer.wrap(io.adapterplatform.engine.format.FloatConversions.encode(v, dtype))
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    return io.adapterplatform.engine.format.FloatConversions.decode(bytes, dtype, v.length);
  }

  /**
   * Vocabulary of {@link #writeTokenizer}: 256 byte tokens, 3 merges, and {@code <|endoftext|>} (id
   * 259).
   */
  public static final int TOKENIZER_VOCAB = 260;

  /** Id of {@code <|endoftext|>} in {@link #writeTokenizer}'s vocabulary. */
  public static final int EOS_ID = 259;

  /**
   * Writes a tiny byte-level BPE {@code tokenizer.json} (GPT-2 byte alphabet, ids 0-255 the bytes,
   * then merges "Ġ t", "h e", "Ġt he", then {@code <|endoftext|>}): every UTF-8 text encodes,
   * offline.
   */
  public static void writeTokenizer(Path dir) {
    StringBuilder vocab = new StringBuilder();
    String[] byteChars = byteLevelAlphabet();
    for (int b = 0; b < 256; b++) {
      vocab.append(b == 0 ? "" : ",").append(jsonString(byteChars[b])).append(':').append(b);
    }
    vocab.append(",\"Ġt\":256,\"he\":257,\"Ġthe\":258,\"<|endoftext|>\":259");
    String json =
        "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,"
            + "\"added_tokens\":[{\"id\":259,\"content\":\"<|endoftext|>\",\"single_word\":false,"
            + "\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true}],"
            + "\"normalizer\":null,"
            + "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,"
            + "\"use_regex\":true},"
            + "\"post_processor\":null,"
            + "\"decoder\":{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"trim_offsets\":true,"
            + "\"use_regex\":true},"
            + "\"model\":{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":null,"
            + "\"continuing_subword_prefix\":null,\"end_of_word_suffix\":null,\"fuse_unk\":false,"
            + "\"byte_fallback\":false,\"vocab\":{"
            + vocab
            + "},"
            + "\"merges\":[\"Ġ t\",\"h e\",\"Ġt he\"]}}";
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("tokenizer.json"), json, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write tokenizer.json into " + dir, e);
    }
  }

  // GPT-2's reversible map of bytes to printable characters
  private static String[] byteLevelAlphabet() {
    String[] out = new String[256];
    int n = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable =
          (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      out[b] = printable ? String.valueOf((char) b) : String.valueOf((char) (256 + n++));
    }
    return out;
  }

  private static String jsonString(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
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
        w.put(
            BaseModel.weightName(l, p),
            uniform(random, shape[0] * shape[1], 1.0 / Math.sqrt(shape[1])));
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
  public static Lora randomLora(
      ModelDims dims, int rank, double alpha, boolean rslora, Set<Projection> targets, long seed) {
    var random = new SplittableRandom(seed);
    return new Lora(
        rank, scaling(alpha, rank, rslora), pairs(dims, rank, alpha, rslora, targets, random));
  }

  /**
   * A random DoRA: a random LoRA plus magnitude vectors of the order of the base weights' row
   * norms.
   */
  public static Dora randomDora(
      ModelDims dims, int rank, double alpha, Set<Projection> targets, long seed) {
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
   * A random MixLoRA: routers on every layer, each expert with LoRA on gate, up and down (expert e
   * skips {@code skipProjectionOfExpert1} when not null, to exercise "missing projection uses the
   * base"), and plain LoRA on {@code attentionTargets}.
   */
  public static MixLora randomMixLora(
      ModelDims dims,
      int rank,
      double alpha,
      int experts,
      int topK,
      Set<Projection> attentionTargets,
      Projection skipProjectionOfExpert1,
      long seed) {
    var random = new SplittableRandom(seed);
    double s = scaling(alpha, rank, false);
    Map<Integer, float[]> routers = new HashMap<>();
    Map<MixLora.ExpertKey, LoraPair> expertPairs = new HashMap<>();
    for (int l = 0; l < dims.numLayers(); l++) {
      routers.put(
          l, gaussian(random, experts * dims.hiddenSize(), 2.0 / Math.sqrt(dims.hiddenSize())));
      for (int e = 0; e < experts; e++) {
        for (Projection p : new Projection[] {Projection.GATE, Projection.UP, Projection.DOWN}) {
          if (e == 1 && p == skipProjectionOfExpert1) {
            continue;
          }
          expertPairs.put(new MixLora.ExpertKey(l, p, e), pair(dims, p, rank, s, random));
        }
      }
    }
    return new MixLora(
        rank,
        s,
        rank,
        s,
        experts,
        topK,
        routers,
        pairs(dims, rank, alpha, false, attentionTargets, random),
        expertPairs);
  }

  private static Map<ModuleKey, LoraPair> pairs(
      ModelDims dims,
      int rank,
      double alpha,
      boolean rslora,
      Set<Projection> targets,
      SplittableRandom random) {
    double s = scaling(alpha, rank, rslora);
    Map<ModuleKey, LoraPair> pairs =
        new LinkedHashMap<>(); // drawn in layer and projection order, which the magnitudes follow
    for (int l = 0; l < dims.numLayers(); l++) {
      for (Projection p : Projection.values()) {
        if (targets.contains(p)) {
          pairs.put(new ModuleKey(l, p), pair(dims, p, rank, s, random));
        }
      }
    }
    return pairs;
  }

  private static LoraPair pair(
      ModelDims dims, Projection p, int rank, double scaling, SplittableRandom random) {
    int in = dims.inFeatures(p);
    int out = dims.outFeatures(p);
    // ‖s · B A x‖ ≈ 0.3 ‖W x‖ whatever the scaling, so every kind of adapter moves the logits
    // visibly
    return new LoraPair(
        rank,
        in,
        out,
        uniform(random, rank * in, 1.0 / Math.sqrt(in)),
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
