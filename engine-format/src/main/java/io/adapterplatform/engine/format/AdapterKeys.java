package io.adapterplatform.engine.format;

/**
 * Tensor names of the adapter layouts: PEFT's ({@code
 * base_model.model.model.layers.{i}.{block}.{proj}...}) and the MixLoRA reference's ({@code
 * mixlora.layers.{i}...}).
 */
public final class AdapterKeys {

  /** Suffix of LoRA's down-projection A [r, in]. */
  public static final String LORA_A = "lora_A.weight";

  /** Suffix of LoRA's up-projection B [out, r]. */
  public static final String LORA_B = "lora_B.weight";

  /** Suffix of DoRA's magnitude m [out] as current PEFT writes it. */
  public static final String DORA_MAGNITUDE = "lora_magnitude_vector";

  /** Suffix older PEFT versions wrote for the magnitude; accepted when reading. */
  public static final String DORA_MAGNITUDE_LEGACY = "lora_magnitude_vector.weight";

  private AdapterKeys() {}

  /** {@code base_model.model.model.layers.{layer}.{block}.{proj}.{suffix}}. */
  public static String peft(int layer, Projection p, String suffix) {
    return "base_model.model.model.layers." + layer + "." + p.path() + "." + suffix;
  }

  /** {@code mixlora.layers.{layer}.self_attn.{proj}.{suffix}}: the MixLoRA attention LoRA. */
  public static String mixloraAttention(int layer, Projection p, String suffix) {
    return "mixlora.layers." + layer + "." + p.path() + "." + suffix;
  }

  /** {@code mixlora.layers.{layer}.mlp.{proj}.experts.{expert}.{suffix}}: one expert's LoRA. */
  public static String mixloraExpert(int layer, Projection p, int expert, String suffix) {
    return "mixlora.layers." + layer + "." + p.path() + ".experts." + expert + "." + suffix;
  }

  /** {@code mixlora.layers.{layer}.mlp.moe_gate.weight}: the router [num_experts, hidden]. */
  public static String mixloraRouter(int layer) {
    return "mixlora.layers." + layer + ".mlp.moe_gate.weight";
  }
}
