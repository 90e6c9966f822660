package io.adapterplatform.engine.format;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The tensor names and shapes of a LLaMA checkpoint in Hugging Face layout, checked against its
 * config: {@code model.embed_tokens.weight} [vocab, hidden]; per layer {@code
 * input_layernorm.weight} and {@code post_attention_layernorm.weight} [hidden], {@code
 * self_attn.{q,k,v,o}_proj.weight} and {@code mlp.{gate,up,down}_proj.weight} [out, in]; {@code
 * model.norm.weight} [hidden]; {@code lm_head.weight} [vocab, hidden] unless the embeddings are
 * tied (then it may be absent). Old checkpoints' {@code rotary_emb.inv_freq} buffers are ignored;
 * any other tensor (biases, extra layers) is rejected, since the engine would silently not use it.
 *
 * @param tensors every expected tensor by name
 */
public record BaseModelLayout(ModelConfig config, Map<String, TensorInfo> tensors) {

  public static final String EMBED_TOKENS = "model.embed_tokens.weight";
  public static final String FINAL_NORM = "model.norm.weight";
  public static final String LM_HEAD = "lm_head.weight";

  private static final Pattern IGNORED =
      Pattern.compile("model\\.layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq");

  public BaseModelLayout {
    tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
  }

  /** {@code model.layers.{layer}.{block}.{proj}.weight}. */
  public static String projectionWeight(int layer, Projection p) {
    return "model.layers." + layer + "." + p.path() + ".weight";
  }

  /** {@code model.layers.{layer}.input_layernorm.weight}. */
  public static String inputNorm(int layer) {
    return "model.layers." + layer + ".input_layernorm.weight";
  }

  /** {@code model.layers.{layer}.post_attention_layernorm.weight}. */
  public static String postAttentionNorm(int layer) {
    return "model.layers." + layer + ".post_attention_layernorm.weight";
  }

  /** Every tensor a checkpoint of this config has, with its shape, in layer order. */
  public static Map<String, long[]> expectedShapes(ModelConfig c) {
    Map<String, long[]> m = new LinkedHashMap<>();
    m.put(EMBED_TOKENS, new long[] {c.vocabSize(), c.hiddenSize()});
    for (int i = 0; i < c.numHiddenLayers(); i++) {
      m.put(inputNorm(i), new long[] {c.hiddenSize()});
      for (Projection p : Projection.values()) {
        if (p == Projection.GATE) {
          m.put(postAttentionNorm(i), new long[] {c.hiddenSize()});
        }
        ModelConfig.ProjectionShape s = c.projectionShape(p);
        m.put(projectionWeight(i, p), new long[] {s.out(), s.in()});
      }
    }
    m.put(FINAL_NORM, new long[] {c.hiddenSize()});
    if (!c.tieWordEmbeddings()) {
      m.put(LM_HEAD, new long[] {c.vocabSize(), c.hiddenSize()});
    }
    return m;
  }

  /** Validates a single-file checkpoint. */
  public static BaseModelLayout validate(ModelConfig config, SafetensorsHeader header) {
    return validate(config, List.of(header));
  }

  /**
   * Validates a checkpoint made of one or more safetensors headers (shards).
   *
   * @throws FormatException INCONSISTENT listing every missing, misshapen, duplicated or unexpected
   *     tensor
   */
  public static BaseModelLayout validate(ModelConfig config, List<SafetensorsHeader> headers) {
    String file = headers.size() == 1 ? headers.getFirst().fileName() : ModelWeightsIndex.FILE_NAME;
    Problems p = new Problems(file);
    Map<String, long[]> expected = expectedShapes(config);
    Map<String, TensorInfo> found = new LinkedHashMap<>();
    for (SafetensorsHeader h : headers) {
      for (TensorInfo t : h.tensors()) {
        if (IGNORED.matcher(t.name()).matches()) {
          continue;
        }
        long[] shape = expected.get(t.name());
        if (shape == null && t.name().equals(LM_HEAD)) {
          shape = new long[] {config.vocabSize(), config.hiddenSize()}; // tied, but stored anyway
        }
        if (shape == null) {
          p.inconsistent(
              "unexpected tensor '"
                  + t.name()
                  + "' in "
                  + h.fileName()
                  + " (not part of a "
                  + config.numHiddenLayers()
                  + "-layer LLaMA without biases)");
        } else if (found.containsKey(t.name())) {
          p.inconsistent("tensor '" + t.name() + "' appears in more than one file");
        } else {
          if (!Arrays.equals(t.shape(), shape)) {
            p.inconsistent(
                "tensor '"
                    + t.name()
                    + "' has shape "
                    + t.shapeString()
                    + " but config.json "
                    + "implies "
                    + Arrays.toString(shape));
          }
          found.put(t.name(), t);
        }
      }
    }
    for (String name : expected.keySet()) {
      if (!found.containsKey(name)) {
        p.inconsistent("missing tensor '" + name + "'");
      }
    }
    p.throwIfAny();
    Map<String, TensorInfo> ordered = new LinkedHashMap<>();
    expected.keySet().forEach(n -> ordered.put(n, found.get(n)));
    return new BaseModelLayout(config, ordered);
  }
}
