package io.adapterplatform.engine.format;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes an adapter directory ({@code adapter_config.json} + {@code adapter_model.safetensors})
 * from weights held in memory, in PEFT layout for LoRA/DoRA and in the MixLoRA reference layout for
 * MixLoRA: the engine's export. Shapes come from the config and the base model; before anything is
 * written the result is checked with {@link AdapterLayout#validate}, so an incomplete adapter is
 * never written. LoRA tensors are stored in the chosen dtype (rounded to nearest even); MixLoRA
 * routers always in F32.
 */
public final class AdapterWriter {

  private final AdapterConfig config;
  private final ModelConfig model;
  private final DType dtype;
  private final SafetensorsWriter weights = new SafetensorsWriter().metadata("format", "pt");

  private AdapterWriter(AdapterConfig config, ModelConfig model, DType dtype) {
    this.config = config.validated(MixLoraComposer.CONFIG_FILE);
    this.model = model;
    this.dtype = dtype;
  }

  /**
   * A writer for an adapter of {@code config} (any kind) over {@code model}, storing LoRA tensors
   * as {@code dtype}.
   */
  public static AdapterWriter of(AdapterConfig config, ModelConfig model, DType dtype) {
    return new AdapterWriter(config, model, dtype);
  }

  private Projection projection(String module) {
    Projection p =
        Projection.of(module)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "'" + module + "' is not a linear module of a LLaMA layer"));
    if (!config.targetModules().contains(module)) {
      throw new IllegalArgumentException(
          "module " + module + " is not in target_modules " + config.targetModules());
    }
    return p;
  }

  /**
   * Adds the LoRA of one layer's module: a PEFT LoRA, or a MixLoRA's attention LoRA.
   *
   * @param a [r, in] row-major
   * @param b [out, r] row-major
   */
  public AdapterWriter lora(int layer, String module, float[] a, float[] b) {
    Projection p = projection(module);
    if (config.kind() == AdapterKind.MIXLORA && !p.isAttention()) {
      throw new IllegalArgumentException(
          "MixLoRA MLP modules are adapted per expert: use expert(...)");
    }
    if (config.kind() == AdapterKind.DORA) {
      throw new IllegalArgumentException("a DoRA adapter needs its magnitude: use dora(...)");
    }
    ModelConfig.ProjectionShape s = model.projectionShape(p);
    boolean mix = config.kind() == AdapterKind.MIXLORA;
    weights.addFloats(
        mix
            ? AdapterKeys.mixloraAttention(layer, p, AdapterKeys.LORA_A)
            : AdapterKeys.peft(layer, p, AdapterKeys.LORA_A),
        dtype,
        new long[] {config.r(), s.in()},
        a);
    weights.addFloats(
        mix
            ? AdapterKeys.mixloraAttention(layer, p, AdapterKeys.LORA_B)
            : AdapterKeys.peft(layer, p, AdapterKeys.LORA_B),
        dtype,
        new long[] {s.out(), config.r()},
        b);
    return this;
  }

  /** Adds the DoRA of one layer's module; {@code magnitude} is [out]. */
  public AdapterWriter dora(int layer, String module, float[] a, float[] b, float[] magnitude) {
    if (config.kind() != AdapterKind.DORA) {
      throw new IllegalArgumentException("not a DoRA adapter");
    }
    Projection p = projection(module);
    ModelConfig.ProjectionShape s = model.projectionShape(p);
    weights.addFloats(
        AdapterKeys.peft(layer, p, AdapterKeys.LORA_A), dtype, new long[] {config.r(), s.in()}, a);
    weights.addFloats(
        AdapterKeys.peft(layer, p, AdapterKeys.LORA_B), dtype, new long[] {s.out(), config.r()}, b);
    weights.addFloats(
        AdapterKeys.peft(layer, p, AdapterKeys.DORA_MAGNITUDE),
        dtype,
        new long[] {s.out()},
        magnitude);
    return this;
  }

  /**
   * Adds one MixLoRA expert's LoRA on one layer's MLP module: a [expert r, in], b [out, expert r].
   */
  public AdapterWriter expert(int layer, int expert, String module, float[] a, float[] b) {
    if (config.kind() != AdapterKind.MIXLORA) {
      throw new IllegalArgumentException("not a MixLoRA adapter");
    }
    Projection p = projection(module);
    if (p.isAttention()) {
      throw new IllegalArgumentException("attention modules have no experts: use lora(...)");
    }
    ModelConfig.ProjectionShape s = model.projectionShape(p);
    int r = config.expertR();
    weights.addFloats(
        AdapterKeys.mixloraExpert(layer, p, expert, AdapterKeys.LORA_A),
        dtype,
        new long[] {r, s.in()},
        a);
    weights.addFloats(
        AdapterKeys.mixloraExpert(layer, p, expert, AdapterKeys.LORA_B),
        dtype,
        new long[] {s.out(), r},
        b);
    return this;
  }

  /** Adds a MixLoRA layer's router [num_experts, hidden], stored as F32. */
  public AdapterWriter router(int layer, float[] gate) {
    if (config.kind() != AdapterKind.MIXLORA) {
      throw new IllegalArgumentException("not a MixLoRA adapter");
    }
    weights.addFloats(
        AdapterKeys.mixloraRouter(layer),
        DType.F32,
        new long[] {config.numExperts(), model.hiddenSize()},
        gate);
    return this;
  }

  /** Checks that the adapter is complete and returns its layout. */
  public AdapterLayout layout() {
    return AdapterLayout.validate(
        config, weights.header(MixLoraComposer.WEIGHTS_FILE), model, MixLoraComposer.WEIGHTS_FILE);
  }

  /** Streams the weights file (after checking completeness). */
  public void writeWeights(OutputStream out) {
    layout();
    weights.writeTo(out);
  }

  /** Writes {@code adapter_config.json} and {@code adapter_model.safetensors} into {@code dir}. */
  public void writeTo(Path dir) {
    layout();
    try {
      Files.createDirectories(dir);
      Files.write(dir.resolve(MixLoraComposer.CONFIG_FILE), config.toJson());
      try (OutputStream out =
          new BufferedOutputStream(
              Files.newOutputStream(dir.resolve(MixLoraComposer.WEIGHTS_FILE)), 1 << 16)) {
        weights.writeTo(out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the adapter to " + dir, e);
    }
  }
}
