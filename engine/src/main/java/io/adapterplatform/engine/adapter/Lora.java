package io.adapterplatform.engine.adapter;

import java.util.Map;
import java.util.TreeMap;

/** A PEFT LoRA adapter: {@code y = W x + s · B A x} on every targeted projection. */
public record Lora(int rank, double scaling, Map<ModuleKey, LoraPair> modules)
    implements AdapterWeights {

  public Lora {
    modules = java.util.Collections.unmodifiableMap(new TreeMap<>(modules));
    Adapters.checkRanks(rank, modules);
  }
}
