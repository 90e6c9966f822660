package io.adapterplatform.engine.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.adapterplatform.engine.adapter.AdapterCheckpoint;
import io.adapterplatform.engine.format.AdapterConfig;
import io.adapterplatform.engine.format.BaseModelLayout;
import io.adapterplatform.engine.format.ModelConfig;
import io.adapterplatform.engine.format.ModelWeights;
import io.adapterplatform.engine.format.SafetensorsFile;
import io.adapterplatform.engine.format.SafetensorsHeader;
import io.adapterplatform.engine.format.TensorInfo;
import io.adapterplatform.engine.model.ModelDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/** {@code inspect DIR}: what a model or adapter directory holds, checked, as one JSON object. */
final class Inspect {

  private Inspect() {}

  static String describe(String dirName) {
    Path dir = Path.of(dirName);
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(dirName + ": not a directory");
    }
    if (Files.isRegularFile(dir.resolve(AdapterCheckpoint.CONFIG_FILE))) {
      return adapter(dir).toString();
    }
    if (Files.isRegularFile(dir.resolve(ModelDirectory.CONFIG_FILE))) {
      return model(dir).toString();
    }
    throw new IllegalArgumentException(
        dirName
            + ": neither a model (config.json) nor an adapter "
            + "(adapter_config.json) directory");
  }

  private static JsonObject model(Path dir) {
    ModelConfig c = ModelDirectory.config(dir);
    JsonObject o = new JsonObject();
    o.addProperty("kind", "model");
    o.addProperty("model_type", c.modelType());
    JsonArray arch = new JsonArray();
    c.architectures().forEach(arch::add);
    o.add("architectures", arch);
    o.addProperty("hidden_size", c.hiddenSize());
    o.addProperty("intermediate_size", c.intermediateSize());
    o.addProperty("num_hidden_layers", c.numHiddenLayers());
    o.addProperty("num_attention_heads", c.numAttentionHeads());
    o.addProperty("num_key_value_heads", c.numKeyValueHeads());
    o.addProperty("head_dim", c.headDim());
    o.addProperty("vocab_size", c.vocabSize());
    o.addProperty("tie_word_embeddings", c.tieWordEmbeddings());
    o.addProperty("rms_norm_eps", c.rmsNormEps());
    o.addProperty("rope_theta", c.ropeTheta());
    try (ModelWeights weights = ModelWeights.open(dir)) {
      BaseModelLayout.validate(c, weights.headers());
      JsonArray files = new JsonArray();
      weights.headers().forEach(h -> files.add(h.fileName()));
      o.add("files", files);
      addTensorSummary(o, weights.headers());
    }
    o.addProperty("tokenizer", Files.isRegularFile(dir.resolve("tokenizer.json")));
    return o;
  }

  private static JsonObject adapter(Path dir) {
    Path configPath = dir.resolve(AdapterCheckpoint.CONFIG_FILE);
    AdapterConfig c;
    try {
      c = AdapterConfig.parse(Files.readAllBytes(configPath), configPath.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + configPath, e);
    }
    JsonObject o = new JsonObject();
    o.addProperty("kind", c.kind().name().toLowerCase(Locale.ROOT));
    o.addProperty("peft_type", c.peftType());
    if (c.baseModelNameOrPath() != null) {
      o.addProperty("base_model_name_or_path", c.baseModelNameOrPath());
    }
    o.addProperty("r", c.r());
    o.addProperty("lora_alpha", c.loraAlpha());
    o.addProperty("use_rslora", c.useRslora());
    o.addProperty("use_dora", c.useDora());
    o.addProperty("scaling", c.scaling());
    JsonArray targets = new JsonArray();
    c.targetModules().forEach(targets::add);
    o.add("target_modules", targets);
    c.mixlora()
        .ifPresent(
            m -> {
              o.addProperty("routing_strategy", m.routingStrategy());
              o.addProperty("num_experts", m.numExperts());
              o.addProperty("top_k", m.topK());
              o.addProperty("expert_r", m.expertR());
              o.addProperty("router_aux_loss_coef", m.routerAuxLossCoef());
              o.addProperty("jitter_noise", m.jitterNoise());
            });
    Path weights = dir.resolve(AdapterCheckpoint.WEIGHTS_FILE);
    if (!Files.isRegularFile(weights)) {
      throw new IllegalArgumentException(
          weights + ": missing: the adapter directory has no weights file");
    }
    try (SafetensorsFile file = SafetensorsFile.open(weights)) {
      addTensorSummary(o, List.of(file.header()));
    }
    return o;
  }

  private static void addTensorSummary(JsonObject o, List<SafetensorsHeader> headers) {
    long tensors = 0;
    long parameters = 0;
    TreeMap<String, Long> dtypes = new TreeMap<>();
    for (SafetensorsHeader h : headers) {
      for (TensorInfo t : h.tensors()) {
        tensors++;
        parameters += t.elementCount();
        dtypes.merge(t.dtype().name(), t.elementCount(), Long::sum);
      }
    }
    o.addProperty("tensors", tensors);
    o.addProperty("parameters", parameters);
    JsonObject d = new JsonObject();
    dtypes.forEach(d::addProperty);
    o.add("parameters_by_dtype", d);
  }
}
