package io.adapterplatform.engine.format;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The validated tensor layout of an adapter's weights against its config and its base model.
 *
 * <p>PEFT LoRA/DoRA: for every layer {@code 0..L-1} and every target module, {@code lora_A.weight}
 * [r, in] and {@code lora_B.weight} [out, r], and for DoRA {@code lora_magnitude_vector} [out] (or
 * the legacy {@code lora_magnitude_vector.weight}). MixLoRA reference layout: per layer a router
 * {@code moe_gate.weight} [num_experts, hidden], for every attention target one LoRA, and for every
 * MLP target one LoRA per expert (rank {@code expert_lora.r} if set), where an expert may lack the
 * LoRA (both A and B) of an MLP target in any layer and then uses the base projection there.
 * Nothing else may be in the file.
 *
 * @param loras the non-expert LoRAs (PEFT modules, or MixLoRA attention), by layer then module
 * @param expertLoras MixLoRA expert LoRAs, by layer, expert, then module
 * @param routerTensors MixLoRA routers, one per layer
 */
public record AdapterLayout(
    AdapterKind kind,
    int rank,
    int expertRank,
    int layers,
    List<String> targetModules,
    int numExperts,
    List<LoraTensors> loras,
    List<LoraTensors> expertLoras,
    List<TensorInfo> routerTensors) {

  private static final Pattern PEFT_KEY =
      Pattern.compile("base_model\\.model\\.model\\.layers\\.(\\d+)\\.(\\w+)\\.(\\w+)\\..+");
  private static final Pattern MIXLORA_KEY =
      Pattern.compile("mixlora\\.layers\\.(\\d+)\\.(\\w+)\\.(\\w+)\\.(?:experts\\.(\\d+)\\.)?.+");

  public AdapterLayout {
    targetModules = List.copyOf(targetModules);
    loras = List.copyOf(loras);
    expertLoras = List.copyOf(expertLoras);
    routerTensors = List.copyOf(routerTensors);
  }

  private record Expected(long[] shape, String why) {}

  /**
   * Checks {@code header} against the adapter config and the base model config.
   *
   * @throws FormatException INCONSISTENT listing every problem (missing, unexpected or misshapen
   *     tensors)
   */
  public static AdapterLayout validate(
      AdapterConfig config, SafetensorsHeader header, ModelConfig model, String weightsFileName) {
    Problems p = new Problems(weightsFileName);
    List<Projection> targets = new ArrayList<>();
    for (String m : config.targetModules()) {
      Projection.of(m)
          .ifPresentOrElse(
              targets::add,
              () ->
                  p.inconsistent(
                      "target module '"
                          + m
                          + "' is not in the "
                          + model.modelType()
                          + " architecture ("
                          + String.join(", ", Projection.modules())
                          + ")"));
    }
    p.throwIfAny();
    int layers = model.numHiddenLayers();
    boolean mix = config.kind() == AdapterKind.MIXLORA;
    boolean dora = config.kind() == AdapterKind.DORA;
    int r = config.r();
    int er = mix ? config.expertR() : 0;
    int experts = mix ? config.numExperts() : 0;

    Layout l = new Layout(model, Set.copyOf(targets), layers, mix, dora, r, er, experts);

    // Memory stays proportional to the file's tensors: expectations are computed per name, and the
    // expected names are enumerated (not stored) to find the missing ones.
    Map<String, TensorInfo> found = new LinkedHashMap<>();
    for (TensorInfo t : header.tensors()) {
      String key = t.name();
      if (dora && key.endsWith("." + AdapterKeys.DORA_MAGNITUDE_LEGACY)) {
        key = key.substring(0, key.length() - ".weight".length());
        if (header.contains(key)) {
          p.inconsistent("tensor '" + t.name() + "' duplicates '" + key + "'");
          continue;
        }
      }
      Expected e = l.expected(key);
      if (e == null) {
        p.inconsistent(unexpected(t.name(), mix, layers, experts, config));
        continue;
      }
      if (!Arrays.equals(t.shape(), e.shape())) {
        p.inconsistent(
            "tensor '"
                + t.name()
                + "' has shape "
                + t.shapeString()
                + " but "
                + Arrays.toString(e.shape())
                + " is expected ("
                + e.why()
                + ")");
      }
      found.put(key, t);
    }
    l.forEachExpectedKey(
        key -> {
          if (!found.containsKey(key) && !absentExpertPair(key, found)) {
            p.inconsistent("missing tensor '" + key + "'" + missingContext(key));
          }
        });
    p.throwIfAny();

    List<LoraTensors> loras = new ArrayList<>();
    List<LoraTensors> expertLoras = new ArrayList<>();
    List<TensorInfo> routers = new ArrayList<>();
    for (int i = 0; i < layers; i++) {
      if (mix) {
        routers.add(found.get(AdapterKeys.mixloraRouter(i)));
      }
      for (Projection t : targets) {
        if (!mix) {
          Optional<TensorInfo> m =
              dora
                  ? Optional.of(found.get(AdapterKeys.peft(i, t, AdapterKeys.DORA_MAGNITUDE)))
                  : Optional.empty();
          loras.add(
              new LoraTensors(
                  i,
                  t,
                  -1,
                  found.get(AdapterKeys.peft(i, t, AdapterKeys.LORA_A)),
                  found.get(AdapterKeys.peft(i, t, AdapterKeys.LORA_B)),
                  m));
        } else if (t.isAttention()) {
          loras.add(
              new LoraTensors(
                  i,
                  t,
                  -1,
                  found.get(AdapterKeys.mixloraAttention(i, t, AdapterKeys.LORA_A)),
                  found.get(AdapterKeys.mixloraAttention(i, t, AdapterKeys.LORA_B)),
                  Optional.empty()));
        }
      }
      for (int e = 0; e < experts; e++) {
        for (Projection t : targets) {
          // A sparse expert has no pair here: it uses the base projection (absentExpertPair).
          if (!t.isAttention()
              && found.containsKey(AdapterKeys.mixloraExpert(i, t, e, AdapterKeys.LORA_A))) {
            expertLoras.add(
                new LoraTensors(
                    i,
                    t,
                    e,
                    found.get(AdapterKeys.mixloraExpert(i, t, e, AdapterKeys.LORA_A)),
                    found.get(AdapterKeys.mixloraExpert(i, t, e, AdapterKeys.LORA_B)),
                    Optional.empty()));
          }
        }
      }
    }
    return new AdapterLayout(
        config.kind(),
        r,
        mix ? er : r,
        layers,
        config.targetModules(),
        experts,
        loras,
        expertLoras,
        routers);
  }

  private static final String INDEX = "(0|[1-9][0-9]{0,8})";
  private static final Pattern PEFT_EXACT =
      Pattern.compile(
          "base_model\\.model\\.model\\.layers\\."
              + INDEX
              + "\\.(self_attn|mlp)\\.(\\w+)\\.(lora_A\\.weight|lora_B\\.weight|lora_magnitude_vector)");
  private static final Pattern MIX_ROUTER =
      Pattern.compile("mixlora\\.layers\\." + INDEX + "\\.mlp\\.moe_gate\\.weight");
  private static final Pattern MIX_ATTENTION =
      Pattern.compile(
          "mixlora\\.layers\\."
              + INDEX
              + "\\.self_attn\\.(\\w+)\\.(lora_A\\.weight|lora_B\\.weight)");
  private static final Pattern MIX_EXPERT =
      Pattern.compile(
          "mixlora\\.layers\\."
              + INDEX
              + "\\.mlp\\.(\\w+)\\.experts\\."
              + INDEX
              + "\\.(lora_A\\.weight|lora_B\\.weight)");

  /** What a layout expects, computed per tensor name rather than stored for every expected name. */
  private record Layout(
      ModelConfig model,
      Set<Projection> targets,
      int layers,
      boolean mix,
      boolean dora,
      int r,
      int er,
      int experts) {

    /** The expected shape of a (canonical) key of this layout, or null if the key is not one. */
    Expected expected(String key) {
      if (!mix) {
        Matcher m = PEFT_EXACT.matcher(key);
        if (!m.matches()) {
          return null;
        }
        Projection t = target(m.group(1), m.group(2), m.group(3));
        if (t == null) {
          return null;
        }
        return switch (m.group(4)) {
          case AdapterKeys.LORA_A -> loraA(t, r, "r");
          case AdapterKeys.LORA_B -> loraB(t, r, "r");
          default ->
              dora
                  ? new Expected(new long[] {shape(t).out()}, "DoRA magnitude [out], " + dims(t))
                  : null;
        };
      }
      Matcher router = MIX_ROUTER.matcher(key);
      if (router.matches()) {
        return Integer.parseInt(router.group(1)) < layers
            ? new Expected(
                new long[] {experts, model.hiddenSize()},
                "router of layer "
                    + router.group(1)
                    + ": [num_experts="
                    + experts
                    + ", hidden="
                    + model.hiddenSize()
                    + "]")
            : null;
      }
      Matcher att = MIX_ATTENTION.matcher(key);
      if (att.matches()) {
        Projection t = target(att.group(1), "self_attn", att.group(2));
        return t == null
            ? null
            : att.group(3).equals(AdapterKeys.LORA_A) ? loraA(t, r, "r") : loraB(t, r, "r");
      }
      Matcher ex = MIX_EXPERT.matcher(key);
      if (ex.matches()) {
        Projection t = target(ex.group(1), "mlp", ex.group(2));
        if (t == null || Integer.parseInt(ex.group(3)) >= experts) {
          return null;
        }
        return ex.group(4).equals(AdapterKeys.LORA_A)
            ? loraA(t, er, "expert r")
            : loraB(t, er, "expert r");
      }
      return null;
    }

    private Projection target(String layer, String block, String module) {
      Projection t = Projection.of(module).orElse(null);
      if (t == null
          || !t.block().prefix().equals(block)
          || !targets.contains(t)
          || Integer.parseInt(layer) >= layers) {
        return null;
      }
      return t;
    }

    private ModelConfig.ProjectionShape shape(Projection t) {
      return model.projectionShape(t);
    }

    private String dims(Projection t) {
      return t.module() + ": " + shape(t).in() + " → " + shape(t).out();
    }

    private Expected loraA(Projection t, int rank, String what) {
      return new Expected(
          new long[] {rank, shape(t).in()}, "[r, in] with " + what + "=" + rank + ", " + dims(t));
    }

    private Expected loraB(Projection t, int rank, String what) {
      return new Expected(
          new long[] {shape(t).out(), rank}, "[out, r] with " + what + "=" + rank + ", " + dims(t));
    }

    /** Every key the layout needs, in layer order. */
    void forEachExpectedKey(Consumer<String> action) {
      for (int i = 0; i < layers; i++) {
        if (mix) {
          action.accept(AdapterKeys.mixloraRouter(i));
        }
        for (Projection t : Projection.values()) {
          if (!targets.contains(t)) {
            continue;
          }
          if (!mix) {
            action.accept(AdapterKeys.peft(i, t, AdapterKeys.LORA_A));
            action.accept(AdapterKeys.peft(i, t, AdapterKeys.LORA_B));
            if (dora) {
              action.accept(AdapterKeys.peft(i, t, AdapterKeys.DORA_MAGNITUDE));
            }
          } else if (t.isAttention()) {
            action.accept(AdapterKeys.mixloraAttention(i, t, AdapterKeys.LORA_A));
            action.accept(AdapterKeys.mixloraAttention(i, t, AdapterKeys.LORA_B));
          } else {
            for (int e = 0; e < experts; e++) {
              action.accept(AdapterKeys.mixloraExpert(i, t, e, AdapterKeys.LORA_A));
              action.accept(AdapterKeys.mixloraExpert(i, t, e, AdapterKeys.LORA_B));
            }
          }
        }
      }
    }
  }

  /**
   * Whether {@code key} is one half of an expert's LoRA pair whose other half is absent too. A
   * MixLoRA expert may lack a LoRA on an MLP projection listed in {@code target_modules}: it then
   * uses the base projection there, as the MixLoRA reference does (an expert without that LoRA adds
   * nothing to it). Half a pair is still inconsistent.
   */
  private static boolean absentExpertPair(String key, Map<String, TensorInfo> found) {
    Matcher ex = MIX_EXPERT.matcher(key);
    if (!ex.matches()) {
      return false;
    }
    return !found.containsKey(partner(key, ex.group(4)));
  }

  private static String partner(String key, String half) {
    String other = half.equals(AdapterKeys.LORA_A) ? AdapterKeys.LORA_B : AdapterKeys.LORA_A;
    return key.substring(0, key.length() - half.length()) + other;
  }

  private static String missingContext(String key) {
    Matcher m = MIXLORA_KEY.matcher(key);
    if (m.matches() && m.group(4) != null) {
      String present = key.endsWith(AdapterKeys.LORA_A) ? "lora_B" : "lora_A";
      return " (expert "
          + m.group(4)
          + " of layer "
          + m.group(1)
          + " has the "
          + present
          + " of "
          + m.group(3)
          + " but not its pair: an expert has both or neither)";
    }
    Matcher pk = PEFT_KEY.matcher(key);
    if (pk.matches()) {
      return " (layer " + pk.group(1) + " " + pk.group(3) + ")";
    }
    return "";
  }

  /** Says why a tensor is not part of the layout, as precisely as its name allows. */
  private static String unexpected(
      String name, boolean mix, int layers, int experts, AdapterConfig config) {
    String prefix = "unexpected tensor '" + name + "'";
    Matcher m = (mix ? MIXLORA_KEY : PEFT_KEY).matcher(name);
    if (!m.matches()) {
      return prefix + ": not a " + (mix ? "MixLoRA reference" : "PEFT") + " adapter key";
    }
    int layer = parseIndex(m.group(1));
    if (layer >= layers) {
      return prefix + ": layer " + m.group(1) + " but the base model has " + layers + " layers";
    }
    String module = m.group(3);
    if (mix && module.equals("moe_gate")) {
      return prefix;
    }
    Optional<Projection> proj = Projection.of(module);
    if (proj.isEmpty() || !proj.get().block().prefix().equals(m.group(2))) {
      return prefix
          + ": '"
          + m.group(2)
          + "."
          + module
          + "' is not a linear module of a LLaMA layer";
    }
    if (!config.targetModules().contains(module)) {
      return prefix + ": module " + module + " is not in target_modules " + config.targetModules();
    }
    if (mix && m.groupCount() >= 4 && m.group(4) != null) {
      if (proj.get().isAttention()) {
        return prefix + ": attention modules have no experts";
      }
      if (parseIndex(m.group(4)) >= experts) {
        return prefix + ": expert " + m.group(4) + " but num_experts is " + experts;
      }
    }
    if (mix && !proj.get().isAttention() && m.group(4) == null) {
      return prefix + ": MLP modules of a MixLoRA adapter are adapted per expert";
    }
    return prefix;
  }

  private static int parseIndex(String digits) {
    try {
      return Integer.parseInt(digits);
    } catch (NumberFormatException tooLong) {
      return Integer.MAX_VALUE;
    }
  }

  /** The non-expert LoRA of a layer's module, if the adapter targets it. */
  public Optional<LoraTensors> lora(int layer, String module) {
    // The lists are built in a fixed order (layer, then module), so the position can be computed:
    // loading
    // a large MixLoRA looks up thousands of LoRAs and must not scan for each.
    if (loras.isEmpty() || layer < 0 || layer >= layers) {
      return Optional.empty();
    }
    int perLayer = loras.size() / layers;
    for (int k = layer * perLayer; k < (layer + 1) * perLayer && k < loras.size(); k++) {
      if (loras.get(k).layer() == layer && loras.get(k).module().module().equals(module)) {
        return Optional.of(loras.get(k));
      }
    }
    // A layout built by hand may order its lists otherwise.
    return loras.stream()
        .filter(l -> l.layer() == layer && l.module().module().equals(module))
        .findFirst();
  }

  /** One expert's LoRA on a layer's MLP module, if the adapter has it. */
  public Optional<LoraTensors> expertLora(int layer, int expert, String module) {
    if (expertLoras.isEmpty()
        || layer < 0
        || layer >= layers
        || expert < 0
        || expert >= numExperts) {
      return Optional.empty();
    }
    int perExpert = expertLoras.size() / (layers * numExperts);
    int from = (layer * numExperts + expert) * perExpert;
    for (int k = from; k < from + perExpert && k < expertLoras.size(); k++) {
      LoraTensors l = expertLoras.get(k);
      if (l.layer() == layer && l.expert() == expert && l.module().module().equals(module)) {
        return Optional.of(l);
      }
    }
    // Sparse experts (a pair absent somewhere) shift the positions: scan.
    return expertLoras.stream()
        .filter(
            l -> l.layer() == layer && l.expert() == expert && l.module().module().equals(module))
        .findFirst();
  }

  /** The MixLoRA router of a layer [num_experts, hidden]. */
  public TensorInfo router(int layer) {
    return routerTensors.get(layer);
  }

  /** The MixLoRA attention LoRAs' tensors (empty for PEFT adapters). */
  public List<TensorInfo> attentionTensors() {
    if (kind != AdapterKind.MIXLORA) {
      return List.of();
    }
    List<TensorInfo> out = new ArrayList<>();
    for (LoraTensors l : loras) {
      out.add(l.a());
      out.add(l.b());
    }
    return out;
  }

  /**
   * The MixLoRA experts, by index (empty for PEFT adapters); each lists the MLP projections it has
   * a LoRA on in at least one layer, in {@code target_modules} order.
   */
  public List<ExpertInfo> experts() {
    List<ExpertInfo> out = new ArrayList<>();
    for (int e = 0; e < numExperts; e++) {
      List<TensorInfo> tensors = new ArrayList<>();
      Set<String> adapted = new HashSet<>();
      for (LoraTensors l : expertLoras) {
        if (l.expert() == e) {
          tensors.add(l.a());
          tensors.add(l.b());
          adapted.add(l.module().module());
        }
      }
      out.add(
          new ExpertInfo(e, targetModules.stream().filter(adapted::contains).toList(), tensors));
    }
    return out;
  }
}
