package io.adapterplatform.engine.format;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The inverse of {@link MixLoraComposer}: takes a validated MixLoRA adapter apart into PEFT LoRA
 * adapters, one per expert (targets: the MLP projections, rank and scaling of the experts) and one
 * for the attention LoRA if it has one, so that a MixLoRA reference checkpoint can be imported as
 * separate, versioned experts. Tensors are copied byte for byte (dtype kept), streamed one at a
 * time; routers are not part of any part (read them from {@link AdapterLayout#routerTensors()}).
 */
public final class MixLoraSplitter {

  private MixLoraSplitter() {}

  /**
   * One PEFT adapter taken out of a MixLoRA: its config, its weights' header, and a writer for
   * them.
   */
  public static final class Part {
    private final AdapterConfig config;
    private final List<TensorSpec> specs;
    private final Map<String, TensorInfo> sources;
    private final TensorSource source;
    private final SafetensorsHeader header;

    private Part(
        AdapterConfig config,
        List<TensorSpec> specs,
        Map<String, TensorInfo> sources,
        TensorSource source) {
      this.config = config;
      this.specs = List.copyOf(specs);
      this.sources = sources;
      this.source = source;
      this.header =
          SafetensorsStreamWriter.layout(
              specs, Map.of("format", "pt"), MixLoraComposer.WEIGHTS_FILE);
    }

    /** The PEFT LoRA config of this part. */
    public AdapterConfig config() {
      return config;
    }

    /** The header of the weights {@link #writeWeights} writes. */
    public SafetensorsHeader header() {
      return header;
    }

    /** Streams this part's {@code adapter_model.safetensors} (flushed, not closed). */
    public void writeWeights(OutputStream out) {
      SafetensorsStreamWriter w = SafetensorsStreamWriter.begin(out, specs, Map.of("format", "pt"));
      for (TensorInfo t : w.order()) {
        TensorInfo from = sources.get(t.name());
        try (InputStream in = source.open(from)) {
          w.writeFrom(t.name(), in);
        } catch (IOException e) {
          throw new UncheckedIOException("reading tensor '" + from.name() + "'", e);
        }
      }
      w.finish();
    }
  }

  /** Expert {@code expert} of a MixLoRA as a PEFT LoRA on the MLP projections. */
  public static Part expert(
      AdapterConfig mixlora, AdapterLayout layout, TensorSource source, int expert) {
    requireMixLora(mixlora, layout);
    if (expert < 0 || expert >= layout.numExperts()) {
      throw new IllegalArgumentException(
          "expert " + expert + " does not exist (num_experts " + layout.numExperts() + ")");
    }
    AdapterConfig.MixLoraSettings m = mixlora.mixlora().orElseThrow();
    List<LoraTensors> loras =
        layout.expertLoras().stream().filter(l -> l.expert() == expert).toList();
    // A sparse expert becomes a PEFT LoRA on the projections it adapts, which PEFT can express
    // only when it adapts them in every layer.
    List<String> targets = layout.experts().get(expert).projections();
    if (targets.isEmpty() || loras.size() != targets.size() * layout.layers()) {
      throw new FormatException(
          FormatException.Reason.INCONSISTENT,
          MixLoraComposer.WEIGHTS_FILE,
          "expert "
              + expert
              + " adapts "
              + (targets.isEmpty() ? "no projection" : targets + " in some layers only")
              + ": a PEFT LoRA adapts its target modules in every layer");
    }
    AdapterConfig config =
        new AdapterConfig(
            AdapterConfig.PEFT_LORA,
            mixlora.taskType(),
            mixlora.baseModelNameOrPath(),
            m.expertR(),
            m.expertAlpha(),
            m.expertDropout(),
            targets,
            m.expertUseRslora(),
            false,
            Optional.empty());
    return part(config, loras, source);
  }

  /** The attention LoRA of a MixLoRA as a PEFT LoRA, if it has one. */
  public static Optional<Part> attention(
      AdapterConfig mixlora, AdapterLayout layout, TensorSource source) {
    requireMixLora(mixlora, layout);
    if (mixlora.attentionTargets().isEmpty()) {
      return Optional.empty();
    }
    AdapterConfig config =
        new AdapterConfig(
            AdapterConfig.PEFT_LORA,
            mixlora.taskType(),
            mixlora.baseModelNameOrPath(),
            mixlora.r(),
            mixlora.loraAlpha(),
            mixlora.loraDropout(),
            mixlora.attentionTargets(),
            mixlora.useRslora(),
            false,
            Optional.empty());
    return Optional.of(part(config, layout.loras(), source));
  }

  private static void requireMixLora(AdapterConfig config, AdapterLayout layout) {
    if (config.kind() != AdapterKind.MIXLORA || layout.kind() != AdapterKind.MIXLORA) {
      throw new IllegalArgumentException("not a MixLoRA adapter");
    }
  }

  private static Part part(AdapterConfig config, List<LoraTensors> loras, TensorSource source) {
    List<TensorSpec> specs = new ArrayList<>();
    Map<String, TensorInfo> sources = new LinkedHashMap<>();
    for (LoraTensors l : loras) {
      String a = AdapterKeys.peft(l.layer(), l.module(), AdapterKeys.LORA_A);
      String b = AdapterKeys.peft(l.layer(), l.module(), AdapterKeys.LORA_B);
      specs.add(new TensorSpec(a, l.a().dtype(), l.a().shape()));
      specs.add(new TensorSpec(b, l.b().dtype(), l.b().shape()));
      sources.put(a, l.a());
      sources.put(b, l.b());
    }
    return new Part(config.validated(MixLoraComposer.CONFIG_FILE), specs, sources, source);
  }
}
