package io.adapterplatform.engine.adapter;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A PEFT DoRA adapter: {@code y = m ⊙ (W x + s · B A x) / ‖W + s · B A‖}, the norm taken per output
 * feature (row of the weight, over the input dimension); {@code magnitudes} holds m [out] per
 * projection.
 */
public record Dora(
    int rank, double scaling, Map<ModuleKey, LoraPair> modules, Map<ModuleKey, float[]> magnitudes)
    implements AdapterWeights {

  public Dora {
    modules = Collections.unmodifiableMap(new TreeMap<>(modules));
    magnitudes = Collections.unmodifiableMap(new TreeMap<>(magnitudes));
    Adapters.checkRanks(rank, modules);
    if (!magnitudes.keySet().equals(modules.keySet())) {
      throw new IllegalArgumentException(
          "DoRA needs a magnitude vector for exactly the LoRA projections: "
              + "LoRA on "
              + modules.keySet()
              + ", magnitudes on "
              + magnitudes.keySet());
    }
    for (var e : magnitudes.entrySet()) {
      if (e.getValue().length != modules.get(e.getKey()).out()) {
        throw new IllegalArgumentException(
            "magnitude vector of "
                + e.getKey()
                + " has "
                + e.getValue().length
                + " values, expected "
                + modules.get(e.getKey()).out());
      }
    }
  }
}
