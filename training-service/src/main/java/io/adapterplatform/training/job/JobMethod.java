package io.adapterplatform.training.job;

import io.swagger.v3.oas.annotations.media.Schema;

/**
 * What a job trains: a LoRA or DoRA adapter, a MixLoRA mixture of LoRA experts, or only the router
 * of an existing MixLoRA version (its experts frozen).
 */
@Schema(enumAsRef = true)
public enum JobMethod {
  LORA,
  DORA,
  MIXLORA,
  ROUTER
}
