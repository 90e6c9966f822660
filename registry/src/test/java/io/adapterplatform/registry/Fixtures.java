package io.adapterplatform.registry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;

/**
 * Tiny models and adapters in their real on-disk formats (safetensors, config.json, PEFT and
 * MixLoRA adapter_config.json), written by the tests themselves: nothing is downloaded.
 */
final class Fixtures {

  static final int HIDDEN = 8;
  static final int INTERMEDIATE = 16;
  static final int LAYERS = 2;
  static final int HEADS = 2;
  static final int KV_HEADS = 1;
  static final int VOCAB = 32;
  static final int HEAD_DIM = HIDDEN / HEADS;

  private Fixtures() {}

  static String modelConfig() {
    return """
        {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": %d, "intermediate_size": %d,
         "num_hidden_layers": %d, "num_attention_heads": %d, "num_key_value_heads": %d, "vocab_size": %d,
         "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "max_position_embeddings": 128, "hidden_act": "silu",
         "tie_word_embeddings": false, "torch_dtype": "float32"}
        """
        .formatted(HIDDEN, INTERMEDIATE, LAYERS, HEADS, KV_HEADS, VOCAB);
  }

  /** [out, in] of each projection of the tiny model. */
  static int[] projection(String module) {
    return switch (module) {
      case "q_proj", "o_proj" -> new int[] {HIDDEN, HIDDEN};
      case "k_proj", "v_proj" -> new int[] {KV_HEADS * HEAD_DIM, HIDDEN};
      case "gate_proj", "up_proj" -> new int[] {INTERMEDIATE, HIDDEN};
      case "down_proj" -> new int[] {HIDDEN, INTERMEDIATE};
      default -> throw new IllegalArgumentException(module);
    };
  }

  static String group(String module) {
    return module.endsWith("_proj") && List.of("gate_proj", "up_proj", "down_proj").contains(module)
        ? "mlp"
        : "self_attn";
  }

  static byte[] modelWeights(long seed) {
    return safetensors(modelTensors(), seed);
  }

  /** Every tensor of the tiny model, name to shape, in checkpoint order. */
  static Map<String, long[]> modelTensors() {
    var t = new LinkedHashMap<String, long[]>();
    t.put("model.embed_tokens.weight", new long[] {VOCAB, HIDDEN});
    for (int i = 0; i < LAYERS; i++) {
      for (String m :
          List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")) {
        int[] s = projection(m);
        t.put("model.layers." + i + "." + group(m) + "." + m + ".weight", new long[] {s[0], s[1]});
      }
      t.put("model.layers." + i + ".input_layernorm.weight", new long[] {HIDDEN});
      t.put("model.layers." + i + ".post_attention_layernorm.weight", new long[] {HIDDEN});
    }
    t.put("model.norm.weight", new long[] {HIDDEN});
    t.put("lm_head.weight", new long[] {VOCAB, HIDDEN});
    return t;
  }

  static String loraConfig(int r, List<String> targets, boolean dora) {
    return """
        {"peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": "tiny", "r": %d, "lora_alpha": %d,
         "lora_dropout": 0.0, "target_modules": [%s], "use_rslora": false, "use_dora": %s, "bias": "none"}
        """
        .formatted(r, 2 * r, quoted(targets), dora);
  }

  static byte[] loraWeights(int r, List<String> targets, boolean dora, long seed) {
    var t = new LinkedHashMap<String, long[]>();
    for (int i = 0; i < LAYERS; i++) {
      for (String m : targets) {
        int[] s = projection(m);
        String prefix = "base_model.model.model.layers." + i + "." + group(m) + "." + m + ".";
        t.put(prefix + "lora_A.weight", new long[] {r, s[1]});
        t.put(prefix + "lora_B.weight", new long[] {s[0], r});
        if (dora) {
          t.put(prefix + "lora_magnitude_vector", new long[] {s[0]});
        }
      }
    }
    return safetensors(t, seed);
  }

  static String mixloraConfig(int r, int experts, int topK, List<String> targets) {
    return """
        {"peft_type": "MIXLORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": "tiny", "r": %d, "lora_alpha": %d,
         "lora_dropout": 0.0, "target_modules": [%s], "routing_strategy": "mixlora", "num_experts": %d, "top_k": %d,
         "router_aux_loss_coef": 0.001, "router_init_range": 0.02, "jitter_noise": 0.0, "act_fn": "silu"}
        """
        .formatted(r, 2 * r, quoted(targets), experts, topK);
  }

  /** MixLoRA reference layout; {@code skipExpert} >= 0 leaves that expert out of the last layer. */
  static byte[] mixloraWeights(
      int r, int experts, List<String> targets, int skipExpert, long seed) {
    return mixloraWeights(r, experts, targets, skipExpert, seed, name -> true);
  }

  /** {@link #mixloraWeights} with only the tensors whose name {@code keep} accepts. */
  static byte[] mixloraWeights(
      int r, int experts, List<String> targets, int skipExpert, long seed, Predicate<String> keep) {
    var t = new LinkedHashMap<String, long[]>();
    for (int i = 0; i < LAYERS; i++) {
      t.put("mixlora.layers." + i + ".mlp.moe_gate.weight", new long[] {experts, HIDDEN});
      for (String m : targets) {
        int[] s = projection(m);
        if (group(m).equals("self_attn")) {
          String prefix = "mixlora.layers." + i + ".self_attn." + m + ".";
          t.put(prefix + "lora_A.weight", new long[] {r, s[1]});
          t.put(prefix + "lora_B.weight", new long[] {s[0], r});
        } else {
          for (int e = 0; e < experts; e++) {
            if (e == skipExpert && i == LAYERS - 1) {
              continue;
            }
            String prefix = "mixlora.layers." + i + ".mlp." + m + ".experts." + e + ".";
            t.put(prefix + "lora_A.weight", new long[] {r, s[1]});
            t.put(prefix + "lora_B.weight", new long[] {s[0], r});
          }
        }
      }
    }
    t.keySet().removeIf(keep.negate());
    return safetensors(t, seed);
  }

  /** A safetensors file of F32 tensors with random values. */
  static byte[] safetensors(Map<String, long[]> tensors, long seed) {
    var random = new Random(seed);
    var header = new StringBuilder("{");
    long offset = 0;
    var data = new ByteArrayOutputStream();
    for (var e : tensors.entrySet()) {
      long n = 1;
      for (long d : e.getValue()) {
        n *= d;
      }
      if (header.length() > 1) {
        header.append(',');
      }
      var shape = new ArrayList<String>();
      for (long d : e.getValue()) {
        shape.add(Long.toString(d));
      }
      header
          .append('"')
          .append(e.getKey())
          .append("\":{\"dtype\":\"F32\",\"shape\":[")
          .append(String.join(",", shape))
          .append("],\"data_offsets\":[")
          .append(offset)
          .append(',')
          .append(offset + 4 * n)
          .append("]}");
      var buf = ByteBuffer.allocate((int) (4 * n)).order(ByteOrder.LITTLE_ENDIAN);
      for (long k = 0; k < n; k++) {
        buf.putFloat((float) (random.nextGaussian() * 0.02));
      }
      data.writeBytes(buf.array());
      offset += 4 * n;
    }
    header.append('}');
    return withHeader(header.toString(), data.toByteArray());
  }

  static byte[] withHeader(String headerJson, byte[] data) {
    byte[] h = headerJson.getBytes(StandardCharsets.UTF_8);
    var out = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(h.length).put(h).put(data);
    return out.array();
  }

  static Path write(Path dir, String name, byte[] bytes) {
    try {
      Files.createDirectories(dir);
      return Files.write(dir.resolve(name), bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Path write(Path dir, String name, String text) {
    return write(dir, name, text.getBytes(StandardCharsets.UTF_8));
  }

  private static String quoted(List<String> names) {
    return String.join(", ", names.stream().map(s -> "\"" + s + "\"").toList());
  }
}
