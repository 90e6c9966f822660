package io.adapterplatform.engine.format;

import java.util.Optional;

/**
 * The tensors of one LoRA on one linear module of one layer.
 *
 * @param expert the MixLoRA expert index, or -1 for a LoRA that is not an expert
 * @param a [r, in]
 * @param b [out, r]
 * @param magnitude DoRA's magnitude [out], empty for LoRA
 */
public record LoraTensors(
    int layer,
    Projection module,
    int expert,
    TensorInfo a,
    TensorInfo b,
    Optional<TensorInfo> magnitude) {}
