package io.adapterplatform.engine.format;

/**
 * What an adapter computes: a plain LoRA, a weight-decomposed DoRA, or a MixLoRA mixture of LoRA
 * experts.
 */
public enum AdapterKind {
  LORA,
  DORA,
  MIXLORA
}
