package io.adapterplatform.engine.format;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An adapter's {@code adapter_config.json}: a PEFT LoRA/DoRA config ({@code peft_type: "LORA"}) or
 * a MixLoRA reference config ({@code peft_type: "MIXLORA"}, {@code routing_strategy: "mixlora"}).
 *
 * <p>{@code target_modules} may be a list of module names, one plain module name, {@code
 * "all-linear"} (every projection), or the MixLoRA reference's map {@code {name: true|false}}; a
 * regular expression is rejected (it could select a subset of layers, which this platform does not
 * run). In a MixLoRA config the attention modules of {@code target_modules} get one shared LoRA
 * each and the MLP modules get one LoRA per expert; the reference's optional {@code expert_lora}
 * object overrides {@code r}, {@code lora_alpha}, {@code lora_dropout} and {@code use_rslora} for
 * the experts.
 *
 * @param loraAlpha PEFT's {@code lora_alpha} (a number; PEFT writes an integer)
 * @param baseModelNameOrPath may be null
 * @param mixlora the MixLoRA settings, empty for PEFT LoRA / DoRA
 */
public record AdapterConfig(
    String peftType,
    String taskType,
    String baseModelNameOrPath,
    int r,
    double loraAlpha,
    double loraDropout,
    List<String> targetModules,
    boolean useRslora,
    boolean useDora,
    Optional<MixLoraSettings> mixlora) {

  public static final String PEFT_LORA = "LORA";
  public static final String PEFT_MIXLORA = "MIXLORA";
  public static final String ROUTING_MIXLORA = "mixlora";

  /** Largest rank accepted (far beyond any real adapter). */
  public static final int MAX_RANK = 1 << 16;

  /** Largest number of MixLoRA experts accepted (the reference uses 8 to 16). */
  public static final int MAX_EXPERTS = 1024;

  private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z0-9_]+");

  /**
   * The MixLoRA part of a config.
   *
   * @param actFn the FFN activation; the reference leaves it out to mean "the base model's" (silu)
   * @param expertR rank of the expert LoRAs ({@code expert_lora.r}, default the config's {@code r})
   * @param expertAlpha {@code lora_alpha} of the experts
   */
  public record MixLoraSettings(
      String routingStrategy,
      int numExperts,
      int topK,
      double routerAuxLossCoef,
      double routerInitRange,
      double jitterNoise,
      String actFn,
      int expertR,
      double expertAlpha,
      double expertDropout,
      boolean expertUseRslora) {}

  public AdapterConfig {
    targetModules = List.copyOf(targetModules);
  }

  /** A plain PEFT LoRA (or DoRA) config. */
  public static AdapterConfig lora(
      String baseModel,
      int r,
      double alpha,
      List<String> targetModules,
      boolean useRslora,
      boolean useDora) {
    return new AdapterConfig(
        PEFT_LORA,
        "CAUSAL_LM",
        baseModel,
        r,
        alpha,
        0.0,
        targetModules,
        useRslora,
        useDora,
        Optional.empty());
  }

  /** A MixLoRA config whose experts share the adapter's rank and alpha. */
  public static AdapterConfig mixlora(
      String baseModel,
      int r,
      double alpha,
      List<String> targetModules,
      int numExperts,
      int topK,
      double routerInitRange) {
    return new AdapterConfig(
        PEFT_MIXLORA,
        "CAUSAL_LM",
        baseModel,
        r,
        alpha,
        0.0,
        targetModules,
        false,
        false,
        Optional.of(
            new MixLoraSettings(
                ROUTING_MIXLORA,
                numExperts,
                topK,
                0.001,
                routerInitRange,
                0.0,
                "silu",
                r,
                alpha,
                0.0,
                false)));
  }

  /** Largest file {@link #parse} accepts (TOO_LARGE above): real ones are a few KiB. */
  public static final int MAX_BYTES = Json.MAX_CONFIG_BYTES;

  /** This config with another {@code base_model_name_or_path}. */
  public AdapterConfig withBase(String baseModel) {
    return new AdapterConfig(
        peftType,
        taskType,
        baseModel,
        r,
        loraAlpha,
        loraDropout,
        targetModules,
        useRslora,
        useDora,
        mixlora);
  }

  /** Parses and validates an {@code adapter_config.json}; every problem is reported at once. */
  public static AdapterConfig parse(byte[] json, String fileName) {
    JsonObject o = Json.parseObject(json, fileName, Json.MAX_CONFIG_BYTES);
    Problems p = new Problems(fileName);
    Fields f = new Fields(o, p);
    String peftType = f.optString("peft_type", null);
    if (peftType == null) {
      p.malformed("'peft_type' is missing");
      peftType = PEFT_LORA;
    }
    String taskType = f.optString("task_type", "CAUSAL_LM");
    String base = f.optString("base_model_name_or_path", null);
    int r = f.requiredInt("r");
    double alpha = f.requiredDouble("lora_alpha");
    double dropout = f.optDouble("lora_dropout", 0.0);
    boolean rslora = f.optBool("use_rslora", false);
    boolean dora = f.optBool("use_dora", false);
    List<String> targets = targetModules(f.get("target_modules"), p);

    String bias = f.optString("bias", "none");
    if (!bias.equals("none")) {
      p.inconsistent("bias '" + bias + "' is not supported (only \"none\")");
    }
    if (f.optBool("fan_in_fan_out", false)) {
      p.inconsistent("fan_in_fan_out is not supported (LLaMA linear weights are [out, in])");
    }
    // Variants that change the forward pass; init-only options (loftq, eva, corda, ...) are
    // harmless.
    for (String variant : List.of("lora_bias", "use_qalora")) {
      if (f.optBool(variant, false)) {
        p.inconsistent(variant + " is not supported");
      }
    }
    for (String variant : List.of("alora_invocation_tokens", "arrow_config")) {
      if (isNonEmpty(f.get(variant))) {
        p.inconsistent("'" + variant + "' is not supported");
      }
    }
    for (String unsupported :
        List.of(
            "modules_to_save",
            "layers_to_transform",
            "layers_pattern",
            "rank_pattern",
            "alpha_pattern",
            "layer_replication",
            "target_parameters",
            "exclude_modules",
            "trainable_token_indices")) {
      if (isNonEmpty(f.get(unsupported))) {
        p.inconsistent(
            "'"
                + unsupported
                + "' is not supported: every layer of every target module must be "
                + "adapted the same way");
      }
    }

    String routing = f.optString("routing_strategy", null);
    Optional<MixLoraSettings> mix = Optional.empty();
    if (peftType.equals(PEFT_MIXLORA) || routing != null) {
      if (!peftType.equals(PEFT_MIXLORA)) {
        p.inconsistent(
            "routing_strategy '"
                + routing
                + "' is given but peft_type is '"
                + peftType
                + "', not MIXLORA");
      }
      if (routing == null) {
        p.malformed("'routing_strategy' is missing (MixLoRA needs \"mixlora\")");
      } else if (routing.equals("mixtral")) {
        p.inconsistent(
            "routing_strategy 'mixtral' is MixLoRA's legacy layout: convert it with the MixLoRA "
                + "reference's legacy weights convertor first");
      } else if (!routing.equals(ROUTING_MIXLORA)) {
        p.inconsistent("routing_strategy '" + routing + "' is not supported (only \"mixlora\")");
      }
      int expertR = r;
      double expertAlpha = alpha;
      double expertDropout = dropout;
      boolean expertRslora = rslora;
      JsonElement expertLora = f.get("expert_lora");
      if (expertLora != null) {
        if (!expertLora.isJsonObject()) {
          p.malformed("'expert_lora' must be an object");
        } else {
          Fields ef = new Fields(expertLora.getAsJsonObject(), p);
          expertR = ef.optInt("r", r);
          expertAlpha = ef.optDouble("lora_alpha", alpha);
          expertDropout = ef.optDouble("lora_dropout", dropout);
          expertRslora = ef.optBool("use_rslora", rslora);
          if (ef.optBool("use_dora", false)) {
            p.inconsistent("DoRA experts are not supported in MixLoRA");
          }
        }
      }
      // Defaults are the MixLoRA reference's.
      mix =
          Optional.of(
              new MixLoraSettings(
                  routing == null ? ROUTING_MIXLORA : routing,
                  f.requiredInt("num_experts"),
                  f.optInt("top_k", 2),
                  f.optDouble("router_aux_loss_coef", 0.001),
                  f.optDouble("router_init_range", 0.02),
                  f.optDouble("jitter_noise", 0.0),
                  f.optString("act_fn", "silu"),
                  expertR,
                  expertAlpha,
                  expertDropout,
                  expertRslora));
    } else if (!peftType.equals(PEFT_LORA)) {
      p.inconsistent("peft_type '" + peftType + "' is not supported (LORA or MIXLORA)");
    }
    AdapterConfig c =
        new AdapterConfig(peftType, taskType, base, r, alpha, dropout, targets, rslora, dora, mix);
    c.check(p);
    p.throwIfAny();
    return c;
  }

  private static boolean isNonEmpty(JsonElement e) {
    if (e == null || e.isJsonNull()) {
      return false;
    }
    if (e.isJsonArray()) {
      return !e.getAsJsonArray().isEmpty();
    }
    if (e.isJsonObject()) {
      return !e.getAsJsonObject().isEmpty();
    }
    return !(e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() && e.getAsString().isEmpty());
  }

  private static List<String> targetModules(JsonElement e, Problems p) {
    Set<String> out = new LinkedHashSet<>();
    if (e == null) {
      p.malformed("'target_modules' is missing");
    } else if (e.isJsonArray()) {
      for (JsonElement x : e.getAsJsonArray()) {
        Json.string(x)
            .ifPresentOrElse(
                out::add,
                () ->
                    p.malformed("'target_modules' must list module names as strings, found " + x));
      }
    } else if (e.isJsonObject()) {
      // The MixLoRA reference's form: {"q_proj": true, "k_proj": false, ...}
      for (Map.Entry<String, JsonElement> m : e.getAsJsonObject().entrySet()) {
        Optional<Boolean> on = Json.bool(m.getValue());
        if (on.isEmpty()) {
          p.malformed("'target_modules' entry '" + m.getKey() + "' must be true or false");
        } else if (on.get()) {
          out.add(m.getKey());
        }
      }
    } else if (Json.string(e).isPresent()) {
      String s = e.getAsString();
      if (s.equals("all-linear")) {
        out.addAll(Projection.modules());
      } else if (PLAIN_NAME.matcher(s).matches()) {
        out.add(s);
      } else {
        p.inconsistent(
            "target_modules regular expression '"
                + s
                + "' is not supported: list the module "
                + "names ("
                + String.join(", ", Projection.modules())
                + ")");
      }
    } else {
      p.malformed("'target_modules' must be a list of module names, found " + e);
    }
    return new ArrayList<>(out);
  }

  /** Validates the values of a config built in code (the same checks {@link #parse} makes). */
  public AdapterConfig validated(String fileName) {
    Problems p = new Problems(fileName);
    check(p);
    p.throwIfAny();
    return this;
  }

  private void check(Problems p) {
    if (r < 1) {
      p.inconsistent("r must be at least 1, found " + r);
    }
    if (r > MAX_RANK) {
      p.inconsistent("r " + r + " is more than the " + MAX_RANK + " supported");
    }
    if (!(loraAlpha > 0)) {
      p.inconsistent("lora_alpha must be positive, found " + loraAlpha);
    } else if (r >= 1) {
      checkScaling(p, "", loraAlpha, r, useRslora);
    }
    if (!(loraDropout >= 0 && loraDropout < 1)) {
      p.inconsistent("lora_dropout must be in [0, 1), found " + loraDropout);
    }
    if (targetModules.isEmpty()) {
      p.inconsistent("target_modules is empty");
    }
    for (String m : targetModules) {
      if (Projection.of(m).isEmpty()) {
        p.inconsistent(
            "target module '"
                + m
                + "' is not a linear module of a LLaMA layer ("
                + String.join(", ", Projection.modules())
                + ")");
      }
    }
    if (mixlora.isPresent()) {
      MixLoraSettings m = mixlora.get();
      if (useDora) {
        p.inconsistent("use_dora is not supported together with MixLoRA");
      }
      if (m.numExperts() < 1) {
        p.inconsistent("num_experts must be at least 1, found " + m.numExperts());
      }
      if (m.numExperts() > MAX_EXPERTS) {
        p.inconsistent(
            "num_experts " + m.numExperts() + " is more than the " + MAX_EXPERTS + " supported");
      }
      if (m.expertR() > MAX_RANK) {
        p.inconsistent("expert r " + m.expertR() + " is more than the " + MAX_RANK + " supported");
      }
      if (m.topK() < 1 || m.topK() > m.numExperts()) {
        p.inconsistent(
            "top_k must be between 1 and num_experts (" + m.numExperts() + "), found " + m.topK());
      }
      if (!(m.routerAuxLossCoef() >= 0)) {
        p.inconsistent("router_aux_loss_coef must not be negative, found " + m.routerAuxLossCoef());
      }
      if (!(m.routerInitRange() >= 0)) {
        p.inconsistent("router_init_range must not be negative, found " + m.routerInitRange());
      }
      if (!(m.jitterNoise() >= 0 && m.jitterNoise() < 1)) {
        p.inconsistent("jitter_noise must be in [0, 1), found " + m.jitterNoise());
      }
      if (!"silu".equals(m.actFn())) {
        p.inconsistent("act_fn '" + m.actFn() + "' is not supported (only silu, the LLaMA MLP's)");
      }
      if (m.expertR() < 1) {
        p.inconsistent("expert r must be at least 1, found " + m.expertR());
      }
      if (!(m.expertAlpha() > 0)) {
        p.inconsistent("expert lora_alpha must be positive, found " + m.expertAlpha());
      } else if (m.expertR() >= 1) {
        checkScaling(p, "expert ", m.expertAlpha(), m.expertR(), m.expertUseRslora());
      }
      if (!(m.expertDropout() >= 0 && m.expertDropout() < 1)) {
        p.inconsistent("expert lora_dropout must be in [0, 1), found " + m.expertDropout());
      }
      if (ffnTargets().isEmpty() && !targetModules.isEmpty()) {
        p.inconsistent(
            "a MixLoRA config needs at least one MLP module (gate_proj, up_proj, down_proj) in "
                + "target_modules for its experts");
      }
    }
  }

  // The engine multiplies every delta by the scaling in fp32: one that overflows (lora_alpha 1e308)
  // makes every
  // output of the adapter infinite, and one that underflows to 0 silently switches the adapter off.
  private static void checkScaling(Problems p, String which, double alpha, int r, boolean rslora) {
    float s = (float) scaling(alpha, r, rslora);
    if (!Float.isFinite(s) || s <= 0) {
      p.inconsistent(
          which
              + "lora_alpha "
              + alpha
              + " with r "
              + r
              + " gives a scaling "
              + (rslora ? "α/√r" : "α/r")
              + " = "
              + scaling(alpha, r, rslora)
              + ", which is not a positive finite fp32 number (at most "
              + Float.MAX_VALUE
              + ")");
    }
  }

  /**
   * {@link AdapterKind#MIXLORA} when routed, {@link AdapterKind#DORA} when {@code use_dora}, else
   * LoRA.
   */
  public AdapterKind kind() {
    if (mixlora.isPresent()) {
      return AdapterKind.MIXLORA;
    }
    return useDora ? AdapterKind.DORA : AdapterKind.LORA;
  }

  /** LoRA scaling s in {@code W + s·B·A}: α/r, or α/√r with rsLoRA. */
  public double scaling() {
    return scaling(loraAlpha, r, useRslora);
  }

  /** Scaling of the MixLoRA experts (their own α and r when {@code expert_lora} sets them). */
  public double expertScaling() {
    MixLoraSettings m = requireMixLora();
    return scaling(m.expertAlpha(), m.expertR(), m.expertUseRslora());
  }

  private static double scaling(double alpha, int r, boolean rslora) {
    return rslora ? alpha / Math.sqrt(r) : alpha / r;
  }

  /** The target modules of the attention block (q/k/v/o), in config order. */
  public List<String> attentionTargets() {
    return targetModules.stream()
        .filter(m -> Projection.of(m).map(Projection::isAttention).orElse(false))
        .toList();
  }

  /**
   * The target modules of the MLP (gate/up/down), in config order: a MixLoRA's expert projections.
   */
  public List<String> ffnTargets() {
    return targetModules.stream()
        .filter(m -> Projection.of(m).map(x -> !x.isAttention()).orElse(false))
        .toList();
  }

  private MixLoraSettings requireMixLora() {
    return mixlora.orElseThrow(() -> new IllegalStateException("not a MixLoRA config"));
  }

  /** MixLoRA routing strategy; only for MixLoRA configs. */
  public String routingStrategy() {
    return requireMixLora().routingStrategy();
  }

  public int numExperts() {
    return requireMixLora().numExperts();
  }

  public int topK() {
    return requireMixLora().topK();
  }

  public double routerAuxLossCoef() {
    return requireMixLora().routerAuxLossCoef();
  }

  public double routerInitRange() {
    return requireMixLora().routerInitRange();
  }

  public double jitterNoise() {
    return requireMixLora().jitterNoise();
  }

  public String actFn() {
    return requireMixLora().actFn();
  }

  /** Rank of the MixLoRA experts. */
  public int expertR() {
    return requireMixLora().expertR();
  }

  /**
   * This config as {@code adapter_config.json}: PEFT's keys for LoRA/DoRA; for MixLoRA the
   * reference's keys ({@code expert_lora} only when the experts differ from the adapter's own
   * r/alpha/dropout/rsLoRA).
   */
  public byte[] toJson() {
    StringWriter s = new StringWriter();
    try (JsonWriter w = new JsonWriter(s)) {
      w.setIndent("  ");
      w.beginObject();
      w.name("peft_type").value(peftType);
      w.name("task_type").value(taskType);
      w.name("base_model_name_or_path");
      if (baseModelNameOrPath == null) {
        w.nullValue();
      } else {
        w.value(baseModelNameOrPath);
      }
      w.name("r").value(r);
      number(w.name("lora_alpha"), loraAlpha);
      w.name("lora_dropout").value(loraDropout);
      w.name("target_modules").beginArray();
      for (String m : targetModules) {
        w.value(m);
      }
      w.endArray();
      w.name("use_rslora").value(useRslora);
      w.name("use_dora").value(useDora);
      w.name("bias").value("none");
      w.name("fan_in_fan_out").value(false);
      w.name("inference_mode").value(true);
      if (mixlora.isPresent()) {
        MixLoraSettings m = mixlora.get();
        w.name("routing_strategy").value(m.routingStrategy());
        w.name("num_experts").value(m.numExperts());
        w.name("top_k").value(m.topK());
        w.name("router_aux_loss_coef").value(m.routerAuxLossCoef());
        w.name("router_init_range").value(m.routerInitRange());
        w.name("jitter_noise").value(m.jitterNoise());
        w.name("act_fn").value(m.actFn());
        if (m.expertR() != r
            || m.expertAlpha() != loraAlpha
            || m.expertDropout() != loraDropout
            || m.expertUseRslora() != useRslora) {
          w.name("expert_lora").beginObject();
          w.name("r").value(m.expertR());
          number(w.name("lora_alpha"), m.expertAlpha());
          w.name("lora_dropout").value(m.expertDropout());
          w.name("use_rslora").value(m.expertUseRslora());
          w.endObject();
        }
      }
      w.endObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return (s + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Integral values as integers: PEFT writes {@code "lora_alpha": 16} and the MixLoRA reference
   * asserts an int there (while it asserts floats for dropout, router and jitter values, written as
   * doubles).
   */
  private static void number(JsonWriter w, double v) throws IOException {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      w.value((long) v);
    } else {
      w.value(v);
    }
  }
}
