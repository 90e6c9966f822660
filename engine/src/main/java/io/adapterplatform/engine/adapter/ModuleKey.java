package io.adapterplatform.engine.adapter;

import io.adapterplatform.engine.format.Projection;

/** A projection of one layer: where a LoRA pair sits. */
public record ModuleKey(int layer, Projection projection) implements Comparable<ModuleKey> {

  @Override
  public int compareTo(ModuleKey o) {
    int c = Integer.compare(layer, o.layer);
    return c != 0 ? c : projection.compareTo(o.projection);
  }
}
