package io.adapterplatform.engine.format;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The parts of a Hugging Face {@code config.json} that define a LLaMA-family decoder (LLaMA,
 * Mistral, Qwen2-style without biases): dimensions, normalisation and RoPE settings.
 *
 * <p>Defaults follow {@code transformers}' {@code LlamaConfig}: {@code num_key_value_heads} =
 * heads, {@code head_dim} = hidden / heads, {@code rms_norm_eps} 1e-6, {@code rope_theta} 10000
 * (also read from transformers 5's {@code rope_parameters}), {@code tie_word_embeddings} false,
 * {@code max_position_embeddings} 2048, {@code hidden_act} silu.
 */
public record ModelConfig(
    String modelType,
    List<String> architectures,
    int hiddenSize,
    int intermediateSize,
    int numHiddenLayers,
    int numAttentionHeads,
    int numKeyValueHeads,
    int headDim,
    double rmsNormEps,
    double ropeTheta,
    boolean tieWordEmbeddings,
    int vocabSize,
    int maxPositionEmbeddings) {

  /** Model types whose decoder is the LLaMA graph this platform runs. */
  public static final Set<String> SUPPORTED_MODEL_TYPES = Set.of("llama", "mistral", "qwen2");

  public static final int MAX_LAYERS = 1024;
  public static final int MAX_WIDTH = 1 << 20;
  public static final int MAX_HEADS = 4096;
  public static final int MAX_VOCAB = 1 << 24;

  /** In and out features of a linear module: its weight is {@code [out, in]}. */
  public record ProjectionShape(int in, int out) {}

  public ModelConfig {
    architectures = List.copyOf(architectures);
  }

  /** Largest file {@link #parse} accepts (TOO_LARGE above): real ones are a few KiB. */
  public static final int MAX_BYTES = Json.MAX_CONFIG_BYTES;

  /** Parses and validates a {@code config.json}; every problem is reported at once. */
  public static ModelConfig parse(byte[] json, String fileName) {
    JsonObject o = Json.parseObject(json, fileName, Json.MAX_CONFIG_BYTES);
    Problems p = new Problems(fileName);
    Fields f = new Fields(o, p);
    String modelType = f.optString("model_type", "llama");
    List<String> architectures = new ArrayList<>();
    JsonElement arch = f.get("architectures");
    if (arch != null) {
      if (!arch.isJsonArray()) {
        p.malformed("'architectures' must be an array of strings");
      } else {
        for (JsonElement e : arch.getAsJsonArray()) {
          Json.string(e)
              .ifPresentOrElse(
                  architectures::add,
                  () -> p.malformed("'architectures' must be an array of strings"));
        }
      }
    }
    int hidden = f.requiredInt("hidden_size");
    int intermediate = f.requiredInt("intermediate_size");
    int layers = f.requiredInt("num_hidden_layers");
    int heads = f.requiredInt("num_attention_heads");
    int kvHeads = f.optInt("num_key_value_heads", heads);
    int headDim = f.optInt("head_dim", heads > 0 && hidden % heads == 0 ? hidden / heads : 0);
    if (!f.has("head_dim") && heads > 0 && hidden % heads != 0) {
      p.inconsistent(
          "hidden_size "
              + hidden
              + " is not divisible by num_attention_heads "
              + heads
              + " and no head_dim is given");
    }
    double eps = f.optDouble("rms_norm_eps", 1e-6);
    double theta = f.optDouble("rope_theta", 10000.0);
    JsonElement ropeParameters = f.get("rope_parameters");
    if (ropeParameters != null) {
      if (!ropeParameters.isJsonObject()) {
        p.malformed("'rope_parameters' must be an object");
      } else {
        Fields rp = new Fields(ropeParameters.getAsJsonObject(), p);
        theta = rp.optDouble("rope_theta", theta);
        String type = rp.optString("rope_type", "default");
        if (!type.equals("default")) {
          p.inconsistent("rope_type '" + type + "' is not supported (only default RoPE)");
        }
      }
    }
    if (f.get("rope_scaling") != null) {
      p.inconsistent("rope_scaling is not supported (only default RoPE)");
    }
    boolean tied = f.optBool("tie_word_embeddings", false);
    int vocab = f.requiredInt("vocab_size");
    int maxPos = f.optInt("max_position_embeddings", 2048);
    String act = f.optString("hidden_act", "silu");
    if (!act.equals("silu")) {
      p.inconsistent("hidden_act '" + act + "' is not supported (only silu)");
    }
    // Qwen2's switch: with it on, layers attend within a window the engine does not implement.
    // (Mistral's
    // sliding_window alone is ignored: results are exact for sequences up to the window.)
    if (f.optBool("use_sliding_window", false)) {
      p.inconsistent("use_sliding_window is not supported (full causal attention only)");
    }
    if (f.optBool("attention_bias", false) || f.optBool("mlp_bias", false)) {
      p.inconsistent("linear layers with biases (attention_bias / mlp_bias) are not supported");
    }
    if (!SUPPORTED_MODEL_TYPES.contains(modelType)) {
      p.inconsistent(
          "model_type '"
              + modelType
              + "' is not supported ("
              + String.join(", ", SUPPORTED_MODEL_TYPES.stream().sorted().toList())
              + ")");
    }
    ModelConfig c =
        new ModelConfig(
            modelType,
            architectures,
            hidden,
            intermediate,
            layers,
            heads,
            kvHeads,
            headDim,
            eps,
            theta,
            tied,
            vocab,
            maxPos);
    c.check(p);
    p.throwIfAny();
    return c;
  }

  /** Validates the values of a config built in code (the same checks {@link #parse} makes). */
  public ModelConfig validated(String fileName) {
    Problems p = new Problems(fileName);
    check(p);
    p.throwIfAny();
    return this;
  }

  private void check(Problems p) {
    positive(p, "hidden_size", hiddenSize);
    positive(p, "intermediate_size", intermediateSize);
    positive(p, "num_hidden_layers", numHiddenLayers);
    positive(p, "num_attention_heads", numAttentionHeads);
    positive(p, "num_key_value_heads", numKeyValueHeads);
    positive(p, "head_dim", headDim);
    positive(p, "vocab_size", vocabSize);
    positive(p, "max_position_embeddings", maxPositionEmbeddings);
    // Far beyond any real LLaMA; the bounds keep products of dimensions within an int and keep a
    // hostile config.json from making the layout checks enumerate billions of names.
    atMost(p, "num_hidden_layers", numHiddenLayers, MAX_LAYERS);
    atMost(p, "hidden_size", hiddenSize, MAX_WIDTH);
    atMost(p, "intermediate_size", intermediateSize, MAX_WIDTH);
    atMost(p, "num_attention_heads", numAttentionHeads, MAX_HEADS);
    atMost(p, "num_key_value_heads", numKeyValueHeads, MAX_HEADS);
    atMost(p, "head_dim", headDim, MAX_HEADS);
    atMost(p, "vocab_size", vocabSize, MAX_VOCAB);
    if (numAttentionHeads > 0
        && numKeyValueHeads > 0
        && numAttentionHeads % numKeyValueHeads != 0) {
      p.inconsistent(
          "num_attention_heads "
              + numAttentionHeads
              + " is not divisible by num_key_value_heads "
              + numKeyValueHeads);
    }
    if (headDim > 0 && headDim % 2 != 0) {
      p.inconsistent("head_dim " + headDim + " must be even for rotary embeddings");
    }
    if (!(rmsNormEps > 0)) {
      p.inconsistent("rms_norm_eps must be positive, found " + rmsNormEps);
    }
    if (!(ropeTheta > 0)) {
      p.inconsistent("rope_theta must be positive, found " + ropeTheta);
    }
  }

  private static void atMost(Problems p, String key, int value, int max) {
    if (value > max) {
      p.inconsistent(key + " " + value + " is more than the " + max + " supported");
    }
  }

  private static void positive(Problems p, String key, int value) {
    if (value <= 0) {
      p.inconsistent(key + " must be positive, found " + value);
    }
  }

  /** The linear modules of a decoder layer, in order: q, k, v, o, gate, up, down. */
  public List<String> projections() {
    return Projection.modules();
  }

  /** In and out features of a linear module by its name ({@code q_proj}, ...). */
  public ProjectionShape projectionShape(String module) {
    return projectionShape(
        Projection.of(module)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "'"
                            + module
                            + "' is not a linear module of a LLaMA layer ("
                            + String.join(", ", projections())
                            + ")")));
  }

  /** In and out features of a linear module. */
  public ProjectionShape projectionShape(Projection p) {
    int q = numAttentionHeads * headDim;
    int kv = numKeyValueHeads * headDim;
    return switch (p) {
      case Q -> new ProjectionShape(hiddenSize, q);
      case K, V -> new ProjectionShape(hiddenSize, kv);
      case O -> new ProjectionShape(q, hiddenSize);
      case GATE, UP -> new ProjectionShape(hiddenSize, intermediateSize);
      case DOWN -> new ProjectionShape(intermediateSize, hiddenSize);
    };
  }

  /** Whether the module belongs to self-attention (q/k/v/o) rather than the MLP. */
  public boolean isAttention(String module) {
    return Projection.of(module).map(Projection::isAttention).orElse(false);
  }

  /** Whether the module belongs to the MLP (gate/up/down). */
  public boolean isMlp(String module) {
    return Projection.of(module).map(p -> !p.isAttention()).orElse(false);
  }

  /** This config as a {@code config.json} (HF key names), e.g. for tiny test models. */
  public byte[] toJson() {
    StringWriter s = new StringWriter();
    try (JsonWriter w = new JsonWriter(s)) {
      w.setIndent("  ");
      w.beginObject();
      w.name("architectures").beginArray();
      for (String x : architectures) {
        w.value(x);
      }
      w.endArray();
      w.name("model_type").value(modelType);
      w.name("hidden_size").value(hiddenSize);
      w.name("intermediate_size").value(intermediateSize);
      w.name("num_hidden_layers").value(numHiddenLayers);
      w.name("num_attention_heads").value(numAttentionHeads);
      w.name("num_key_value_heads").value(numKeyValueHeads);
      w.name("head_dim").value(headDim);
      w.name("hidden_act").value("silu");
      w.name("rms_norm_eps").value(rmsNormEps);
      w.name("rope_theta").value(ropeTheta);
      w.name("tie_word_embeddings").value(tieWordEmbeddings);
      w.name("vocab_size").value(vocabSize);
      w.name("max_position_embeddings").value(maxPositionEmbeddings);
      w.endObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return (s + "\n").getBytes(StandardCharsets.UTF_8);
  }
}
