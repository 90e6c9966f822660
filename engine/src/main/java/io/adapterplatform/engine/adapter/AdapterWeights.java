package io.adapterplatform.engine.adapter;

import java.util.Map;

/**
 * The weights of one adapter, host-side fp32 values ready to be stacked into a fused pool: plain
 * {@link Lora}, {@link Dora} (LoRA plus a magnitude vector per projection), or {@link MixLora} (a
 * router and LoRA experts on the FFN, optionally LoRA on attention).
 */
public sealed interface AdapterWeights permits Lora, Dora, MixLora {

  /** LoRA rank r. */
  int rank();

  /** Scaling s of every delta: α/r, or α/√r with rsLoRA. */
  double scaling();

  /** The adapter's plain LoRA pairs (attention pairs of a MixLoRA adapter), by projection. */
  Map<ModuleKey, LoraPair> modules();
}
