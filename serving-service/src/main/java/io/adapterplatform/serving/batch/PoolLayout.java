package io.adapterplatform.serving.batch;

import io.adapterplatform.engine.fused.AdapterPool;
import io.adapterplatform.engine.fused.PoolStorage;
import io.adapterplatform.engine.model.BaseModel;

/**
 * The reserved places of a serving pool: LoRA/DoRA places at indices {@code [0, loraPlaces)},
 * MixLoRA places at {@code [loraPlaces, loraPlaces + mixPlaces)} (see {@link
 * AdapterPool#reserve(BaseModel, int, int, int, int, int, PoolStorage)}).
 */
public record PoolLayout(
    int loraPlaces, int maxRank, int mixPlaces, int maxExperts, int maxTopK, PoolStorage storage) {

  /** Allocates the empty places on the model's device. */
  public AdapterPool reserve(BaseModel model) {
    return AdapterPool.reserve(model, loraPlaces, maxRank, mixPlaces, maxExperts, maxTopK, storage);
  }
}
