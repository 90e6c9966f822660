package io.adapterplatform.engine.model;

import ai.djl.ndarray.NDArray;
import io.adapterplatform.engine.format.Projection;

/**
 * The frozen weights of one decoder layer, as [out, in] matrices (Hugging Face layout) and norm
 * vectors. They belong to the {@link BaseModel}'s manager and never require gradients.
 */
public record LayerWeights(
    NDArray inputNorm,
    NDArray q,
    NDArray k,
    NDArray v,
    NDArray o,
    NDArray postNorm,
    NDArray gate,
    NDArray up,
    NDArray down) {

  /** The weight matrix [out, in] of a projection. */
  public NDArray weight(Projection p) {
    return switch (p) {
      case Q -> q;
      case K -> k;
      case V -> v;
      case O -> o;
      case GATE -> gate;
      case UP -> up;
      case DOWN -> down;
    };
  }
}
