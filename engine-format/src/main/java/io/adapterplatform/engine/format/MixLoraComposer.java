package io.adapterplatform.engine.format;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Makes a MixLoRA adapter (reference layout) from PEFT LoRA experts on the MLP projections plus an
 * optional PEFT LoRA on the attention projections, without holding the weights in memory: {@link
 * #plan} validates the inputs and fixes the output's config and header; {@link
 * Composition#writeWeights} then streams the safetensors file tensor by tensor, copying each expert
 * tensor's bytes unchanged (its dtype is kept) and generating the routers.
 *
 * <p>Rules: at least one expert; every expert a plain LoRA (not DoRA) over the same base model
 * shape, targeting only MLP projections, all with the same target set, rank, alpha and rsLoRA flag
 * (the MixLoRA config has one expert scaling); the attention adapter, if any, a plain LoRA
 * targeting only attention projections. Expert {@code e} of the output is the {@code e}-th input.
 * Routers are F32 (they are small and the softmax over their logits decides the routing, so they
 * are not rounded to 16 bits), drawn as {@link RouterInit} describes. The output config has the
 * attention adapter's r/alpha (or the experts' without one), and an {@code expert_lora} object when
 * the experts' differ.
 */
public final class MixLoraComposer {

  /** File names of a PEFT-style adapter directory. */
  public static final String CONFIG_FILE = "adapter_config.json";

  public static final String WEIGHTS_FILE = "adapter_model.safetensors";

  private MixLoraComposer() {}

  /**
   * One input adapter: its config, its weights' header, and where its tensors' bytes come from.
   *
   * @param name how messages refer to it (e.g. {@code expert 'math' v3})
   */
  public record Part(
      String name, AdapterConfig config, SafetensorsHeader header, TensorSource source) {}

  /** Where each output tensor comes from. */
  private sealed interface Origin permits Copy, Router {}

  private record Copy(Part part, TensorInfo tensor) implements Origin {}

  private record Router(int layer) implements Origin {}

  /** A validated plan: the output's config and header, ready to be written. */
  public static final class Composition {
    private final AdapterConfig config;
    private final List<TensorSpec> specs;
    private final Map<String, Origin> origins;
    private final Map<String, String> metadata;
    private final SafetensorsHeader header;
    private final RouterInit init;
    private final ModelConfig model;

    private Composition(
        AdapterConfig config,
        List<TensorSpec> specs,
        Map<String, Origin> origins,
        Map<String, String> metadata,
        RouterInit init,
        ModelConfig model) {
      this.config = config;
      this.specs = List.copyOf(specs);
      this.origins = origins;
      this.metadata = metadata;
      this.init = init;
      this.model = model;
      this.header = SafetensorsStreamWriter.layout(specs, metadata, WEIGHTS_FILE);
    }

    /** The MixLoRA {@code adapter_config.json} content. */
    public AdapterConfig config() {
      return config;
    }

    /** The header of the weights file that {@link #writeWeights} writes. */
    public SafetensorsHeader header() {
      return header;
    }

    /** Size in bytes of the weights file (e.g. for a Content-Length). */
    public long weightsSize() {
      return header.expectedFileSize();
    }

    /** Streams {@code adapter_model.safetensors} to {@code out} (flushed, not closed). */
    public void writeWeights(OutputStream out) {
      SafetensorsStreamWriter w = SafetensorsStreamWriter.begin(out, specs, metadata);
      for (TensorInfo t : w.order()) {
        switch (origins.get(t.name())) {
          case Router r ->
              w.writeFloats(
                  t.name(), init.generateLayer(r.layer(), config.numExperts(), model.hiddenSize()));
          case Copy c -> {
            try (InputStream in = c.part().source().open(c.tensor())) {
              w.writeFrom(t.name(), in);
            } catch (IOException e) {
              throw new UncheckedIOException(
                  "reading tensor '" + c.tensor().name() + "' of " + c.part().name(), e);
            }
          }
        }
      }
      w.finish();
    }

    /**
     * Writes {@code adapter_config.json} and {@code adapter_model.safetensors} into {@code dir}.
     */
    public void writeTo(Path dir) {
      try {
        Files.createDirectories(dir);
        Files.write(dir.resolve(CONFIG_FILE), config.toJson());
        try (OutputStream out =
            new BufferedOutputStream(Files.newOutputStream(dir.resolve(WEIGHTS_FILE)), 1 << 16)) {
          writeWeights(out);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the MixLoRA adapter to " + dir, e);
      }
    }
  }

  /**
   * Validates the inputs and plans the output.
   *
   * @param baseModelNameOrPath written to the output config (may be null)
   * @throws FormatException INCONSISTENT, naming {@code adapter_config.json} and listing every
   *     problem, when the inputs cannot be composed; or the error of an input whose layout is
   *     invalid
   */
  public static Composition plan(
      ModelConfig model,
      List<Part> experts,
      Optional<Part> attention,
      int topK,
      RouterInit init,
      String baseModelNameOrPath) {
    Problems p = new Problems(CONFIG_FILE);
    if (experts.isEmpty()) {
      p.inconsistent("a MixLoRA needs at least one expert");
      p.throwIfAny();
    }
    Part first = experts.getFirst();
    Set<String> ffn = new LinkedHashSet<>(first.config().targetModules());
    for (Part e : experts) {
      AdapterConfig c = e.config();
      if (c.kind() != AdapterKind.LORA) {
        p.inconsistent(e.name() + " is a " + c.kind() + " adapter; experts must be plain LoRA");
        continue;
      }
      if (!c.attentionTargets().isEmpty()) {
        p.inconsistent(
            e.name()
                + " targets attention modules "
                + c.attentionTargets()
                + "; experts may target only gate_proj, up_proj and down_proj");
      }
      if (!new LinkedHashSet<>(c.targetModules()).equals(ffn)) {
        p.inconsistent(
            e.name()
                + " targets "
                + c.targetModules()
                + " but "
                + first.name()
                + " targets "
                + List.copyOf(ffn)
                + "; every expert must adapt the same projections");
      }
      if (c.r() != first.config().r()) {
        p.inconsistent(
            e.name()
                + " has rank "
                + c.r()
                + " but "
                + first.name()
                + " has rank "
                + first.config().r()
                + "; experts must share one rank");
      }
      if (c.loraAlpha() != first.config().loraAlpha()
          || c.useRslora() != first.config().useRslora()) {
        p.inconsistent(
            e.name()
                + " has lora_alpha "
                + c.loraAlpha()
                + (c.useRslora() ? " (rsLoRA)" : "")
                + " but "
                + first.name()
                + " has "
                + first.config().loraAlpha()
                + (first.config().useRslora() ? " (rsLoRA)" : "")
                + "; experts must share one scaling");
      }
    }
    if (attention.isPresent()) {
      AdapterConfig c = attention.get().config();
      if (c.kind() != AdapterKind.LORA) {
        p.inconsistent(
            attention.get().name()
                + " is a "
                + c.kind()
                + " adapter; the attention adapter must be plain LoRA");
      } else if (!c.ffnTargets().isEmpty()) {
        p.inconsistent(
            attention.get().name()
                + " targets MLP modules "
                + c.ffnTargets()
                + "; the attention adapter may target only q_proj, k_proj, v_proj and o_proj");
      }
    }
    if (topK < 1 || topK > experts.size()) {
      p.inconsistent(
          "top_k must be between 1 and the number of experts ("
              + experts.size()
              + "), found "
              + topK);
    }
    p.throwIfAny();

    // Each input's own layout must be valid before any of its bytes are copied.
    List<AdapterLayout> expertLayouts = new ArrayList<>();
    // Problems name the part as well as the file: every expert's weights file has the same name.
    for (Part e : experts) {
      expertLayouts.add(
          AdapterLayout.validate(
              e.config(), e.header(), model, e.name() + "/" + e.header().fileName()));
    }
    Optional<AdapterLayout> attentionLayout =
        attention.map(
            a ->
                AdapterLayout.validate(
                    a.config(), a.header(), model, a.name() + "/" + a.header().fileName()));

    AdapterConfig ec = first.config();
    AdapterConfig ac = attention.map(Part::config).orElse(ec);
    List<String> targets = new ArrayList<>(ac == ec ? List.of() : ac.targetModules());
    targets.addAll(ffn);
    AdapterConfig config =
        new AdapterConfig(
                AdapterConfig.PEFT_MIXLORA,
                "CAUSAL_LM",
                baseModelNameOrPath,
                ac.r(),
                ac.loraAlpha(),
                0.0,
                targets,
                ac.useRslora(),
                false,
                Optional.of(
                    new AdapterConfig.MixLoraSettings(
                        AdapterConfig.ROUTING_MIXLORA,
                        experts.size(),
                        topK,
                        0.001,
                        init.std(),
                        0.0,
                        "silu",
                        ec.r(),
                        ec.loraAlpha(),
                        0.0,
                        ec.useRslora())))
            .validated(CONFIG_FILE);

    List<TensorSpec> specs = new ArrayList<>();
    Map<String, Origin> origins = new LinkedHashMap<>();
    for (int layer = 0; layer < model.numHiddenLayers(); layer++) {
      String router = AdapterKeys.mixloraRouter(layer);
      specs.add(new TensorSpec(router, DType.F32, new long[] {experts.size(), model.hiddenSize()}));
      origins.put(router, new Router(layer));
    }
    if (attention.isPresent()) {
      for (LoraTensors l : attentionLayout.orElseThrow().loras()) {
        copy(
            specs,
            origins,
            attention.get(),
            l.a(),
            AdapterKeys.mixloraAttention(l.layer(), l.module(), AdapterKeys.LORA_A));
        copy(
            specs,
            origins,
            attention.get(),
            l.b(),
            AdapterKeys.mixloraAttention(l.layer(), l.module(), AdapterKeys.LORA_B));
      }
    }
    for (int e = 0; e < experts.size(); e++) {
      for (LoraTensors l : expertLayouts.get(e).loras()) {
        copy(
            specs,
            origins,
            experts.get(e),
            l.a(),
            AdapterKeys.mixloraExpert(l.layer(), l.module(), e, AdapterKeys.LORA_A));
        copy(
            specs,
            origins,
            experts.get(e),
            l.b(),
            AdapterKeys.mixloraExpert(l.layer(), l.module(), e, AdapterKeys.LORA_B));
      }
    }
    Map<String, String> metadata =
        Map.of(
            "format",
            "pt",
            "router_init",
            "normal(0, " + init.std() + "), splitmix64 seed " + init.seed());
    return new Composition(config, specs, origins, metadata, init, model);
  }

  private static void copy(
      List<TensorSpec> specs,
      Map<String, Origin> origins,
      Part part,
      TensorInfo source,
      String target) {
    specs.add(new TensorSpec(target, source.dtype(), source.shape()));
    origins.put(target, new Copy(part, source));
  }
}
