package io.adapterplatform.engine.format;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

/** Tiny models, adapters and hand-made safetensors bytes for the format tests. */
final class Fixtures {

  private Fixtures() {}

  /** hidden 16, intermediate 24, 2 layers, 4 heads of 4 (2 KV heads), vocab 32. */
  static ModelConfig tinyModel() {
    return new ModelConfig(
        "llama", List.of("LlamaForCausalLM"), 16, 24, 2, 4, 2, 4, 1e-6, 10000.0, false, 32, 64);
  }

  static float[] random(Random rng, long n) {
    float[] v = new float[(int) n];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rng.nextGaussian();
    }
    return v;
  }

  /** A complete PEFT adapter's weights for {@code config} over {@code model}. */
  static SafetensorsWriter peftWeights(
      AdapterConfig config, ModelConfig model, Random rng, DType dtype) {
    SafetensorsWriter w = new SafetensorsWriter();
    for (int i = 0; i < model.numHiddenLayers(); i++) {
      for (String m : config.targetModules()) {
        Projection p = Projection.of(m).orElseThrow();
        ModelConfig.ProjectionShape s = model.projectionShape(p);
        long[] a = {config.r(), s.in()};
        long[] b = {s.out(), config.r()};
        w.addFloats(AdapterKeys.peft(i, p, AdapterKeys.LORA_A), dtype, a, random(rng, a[0] * a[1]));
        w.addFloats(AdapterKeys.peft(i, p, AdapterKeys.LORA_B), dtype, b, random(rng, b[0] * b[1]));
        if (config.useDora()) {
          w.addFloats(
              AdapterKeys.peft(i, p, AdapterKeys.DORA_MAGNITUDE),
              dtype,
              new long[] {s.out()},
              random(rng, s.out()));
        }
      }
    }
    return w;
  }

  /** A complete MixLoRA reference-layout adapter's weights. */
  static SafetensorsWriter mixloraWeights(AdapterConfig config, ModelConfig model, Random rng) {
    SafetensorsWriter w = new SafetensorsWriter();
    for (int i = 0; i < model.numHiddenLayers(); i++) {
      long[] g = {config.numExperts(), model.hiddenSize()};
      w.addFloats(AdapterKeys.mixloraRouter(i), DType.F32, g, random(rng, g[0] * g[1]));
      for (String m : config.targetModules()) {
        Projection p = Projection.of(m).orElseThrow();
        ModelConfig.ProjectionShape s = model.projectionShape(p);
        if (p.isAttention()) {
          long[] a = {config.r(), s.in()};
          long[] b = {s.out(), config.r()};
          w.addFloats(
              AdapterKeys.mixloraAttention(i, p, AdapterKeys.LORA_A),
              DType.F32,
              a,
              random(rng, a[0] * a[1]));
          w.addFloats(
              AdapterKeys.mixloraAttention(i, p, AdapterKeys.LORA_B),
              DType.F32,
              b,
              random(rng, b[0] * b[1]));
        } else {
          for (int e = 0; e < config.numExperts(); e++) {
            long[] a = {config.expertR(), s.in()};
            long[] b = {s.out(), config.expertR()};
            w.addFloats(
                AdapterKeys.mixloraExpert(i, p, e, AdapterKeys.LORA_A),
                DType.F32,
                a,
                random(rng, a[0] * a[1]));
            w.addFloats(
                AdapterKeys.mixloraExpert(i, p, e, AdapterKeys.LORA_B),
                DType.F32,
                b,
                random(rng, b[0] * b[1]));
          }
        }
      }
    }
    return w;
  }

  /**
   * A safetensors file made by hand: the header JSON exactly as given, then {@code dataBytes}
   * zeros.
   */
  static byte[] rawFile(String json, int dataBytes) {
    byte[] j = json.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(8 + j.length + dataBytes)
        .order(ByteOrder.LITTLE_ENDIAN)
        .putLong(j.length)
        .put(j)
        .array();
  }

  static SafetensorsHeader header(byte[] file) {
    return SafetensorsHeader.read(new ByteArrayInputStream(file), "t.safetensors");
  }

  static SafetensorsHeader header(String json) {
    return header(rawFile(json, 0));
  }
}
