package io.adapterplatform.serving.models;

/**
 * What a model name stands for at the moment it was resolved: the bare base model, or one immutable
 * adapter version.
 */
public sealed interface ResolvedModel permits ResolvedModel.Base, ResolvedAdapter {

  /** The base model every row of this model runs on. */
  String baseModel();

  /** The bare base model: rows decode with adapter slot -1. */
  record Base(String baseModel) implements ResolvedModel {}
}
