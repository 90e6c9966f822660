package io.adapterplatform.serving.models;

/** One immutable adapter version: what the pool loads, keys and evicts. */
public record AdapterKey(String adapter, int version) {

  @Override
  public String toString() {
    return adapter + "@" + version;
  }
}
