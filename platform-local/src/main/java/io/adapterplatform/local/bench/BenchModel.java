package io.adapterplatform.local.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.StringJoiner;

/**
 * A LLaMA-shaped base model and a PEFT LoRA adapter on all seven projections, written as real
 * safetensors files. {@link #BENCH} is small on disk (4 layers, vocabulary 256, F16) but wide
 * enough for a large adapter: its rank is chosen so that the file reaches the requested size. Tests
 * use tiny ones.
 */
public record BenchModel(
    int hidden, int intermediate, int layers, int heads, int kvHeads, int vocab) {

  public static final BenchModel BENCH = new BenchModel(1024, 2816, 4, 16, 8, 256);
  static final List<String> MODULES =
      List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

  public String config() {
    return """
        {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": %d, "intermediate_size": %d,
         "num_hidden_layers": %d, "num_attention_heads": %d, "num_key_value_heads": %d, "vocab_size": %d,
         "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "max_position_embeddings": 2048, "hidden_act": "silu",
         "tie_word_embeddings": false, "torch_dtype": "float16"}
        """
        .formatted(hidden, intermediate, layers, heads, kvHeads, vocab);
  }

  /** [out, in] of a projection. */
  int[] shape(String module) {
    var kv = kvHeads * (hidden / heads);
    return switch (module) {
      case "q_proj", "o_proj" -> new int[] {hidden, hidden};
      case "k_proj", "v_proj" -> new int[] {kv, hidden};
      case "gate_proj", "up_proj" -> new int[] {intermediate, hidden};
      case "down_proj" -> new int[] {hidden, intermediate};
      default -> throw new IllegalArgumentException(module);
    };
  }

  static String block(String module) {
    return module.endsWith("q_proj")
            || module.endsWith("k_proj")
            || module.endsWith("v_proj")
            || module.endsWith("o_proj")
        ? "self_attn"
        : "mlp";
  }

  public void writeBaseModel(Path file) throws IOException {
    var tensors = new LinkedHashMap<String, long[]>();
    tensors.put("model.embed_tokens.weight", new long[] {vocab, hidden});
    for (var i = 0; i < layers; i++) {
      tensors.put("model.layers." + i + ".input_layernorm.weight", new long[] {hidden});
      tensors.put("model.layers." + i + ".post_attention_layernorm.weight", new long[] {hidden});
      for (var m : MODULES) {
        var s = shape(m);
        tensors.put(
            "model.layers." + i + "." + block(m) + "." + m + ".weight", new long[] {s[0], s[1]});
      }
    }
    tensors.put("model.norm.weight", new long[] {hidden});
    tensors.put("lm_head.weight", new long[] {vocab, hidden});
    write(file, tensors, "F16", 2);
  }

  /** The smallest rank whose adapter file holds at least {@code bytes}. */
  int rankFor(long bytes) {
    long perRank = 0;
    for (var m : MODULES) {
      var s = shape(m);
      perRank += (long) s[0] + s[1];
    }
    perRank *= layers * 4L;
    return (int) Math.max(1, (bytes + perRank - 1) / perRank);
  }

  public static String adapterConfig(int rank) {
    var targets = new StringJoiner("\", \"", "[\"", "\"]");
    MODULES.forEach(targets::add);
    return """
        {"peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": "bench-base", "r": %d,
         "lora_alpha": %d, "lora_dropout": 0.0, "target_modules": %s, "use_rslora": false, "use_dora": false,
         "bias": "none"}
        """
        .formatted(rank, 2 * rank, targets);
  }

  public void writeAdapter(Path file, int rank) throws IOException {
    var tensors = new LinkedHashMap<String, long[]>();
    for (var i = 0; i < layers; i++) {
      for (var m : MODULES) {
        var s = shape(m);
        var prefix = "base_model.model.model.layers." + i + "." + block(m) + "." + m;
        tensors.put(prefix + ".lora_A.weight", new long[] {rank, s[1]});
        tensors.put(prefix + ".lora_B.weight", new long[] {s[0], rank});
      }
    }
    write(file, tensors, "F32", 4);
  }

  /**
   * Makes the file's bytes unique to {@code round} (the registry deduplicates identical content).
   */
  public static void stamp(Path file, int round) throws IOException {
    try (var channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      var length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      channel.read(length, 0);
      var dataStart = 8 + length.flip().getLong();
      var value =
          ByteBuffer.allocate(4)
              .order(ByteOrder.LITTLE_ENDIAN)
              .putFloat(round * 1e-3f + 1e-4f)
              .flip();
      channel.write(value, dataStart);
    }
  }

  private static void write(Path file, Map<String, long[]> tensors, String dtype, int elementBytes)
      throws IOException {
    var header = new StringBuilder("{");
    long offset = 0;
    var first = true;
    for (var entry : tensors.entrySet()) {
      long elements = 1;
      var dims = new StringJoiner(",", "[", "]");
      for (var d : entry.getValue()) {
        elements *= d;
        dims.add(Long.toString(d));
      }
      var end = offset + elements * elementBytes;
      header
          .append(first ? "" : ",")
          .append('"')
          .append(entry.getKey())
          .append("\":{\"dtype\":\"")
          .append(dtype)
          .append("\",\"shape\":")
          .append(dims)
          .append(",\"data_offsets\":[")
          .append(offset)
          .append(',')
          .append(end)
          .append("]}");
      offset = end;
      first = false;
    }
    header.append('}');
    while ((header.length() + 8) % 8 != 0) {
      header.append(' ');
    }
    var headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
    try (var channel =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      var prefix = ByteBuffer.allocate(8 + headerBytes.length).order(ByteOrder.LITTLE_ENDIAN);
      prefix.putLong(headerBytes.length).put(headerBytes).flip();
      channel.write(prefix);
      // Small finite values; the same 1 MiB block repeated keeps writing fast.
      var block = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
      var random = new Random(42);
      while (block.remaining() >= 4) {
        if (elementBytes == 4) {
          block.putFloat((float) (random.nextGaussian() * 0.02));
        } else {
          // random too: a model whose weights repeat one value makes every row of a product equal
          block.putShort(Float.floatToFloat16((float) (random.nextGaussian() * 0.02)));
          block.putShort(Float.floatToFloat16((float) (random.nextGaussian() * 0.02)));
        }
      }
      long left = offset;
      while (left > 0) {
        block.clear().limit((int) Math.min(block.capacity(), left));
        while (block.hasRemaining()) {
          left -= channel.write(block);
        }
      }
    }
    if (Files.size(file) != 8 + headerBytes.length + offset) {
      throw new IOException("short write of " + file);
    }
  }
}
