package io.adapterplatform.engine.adapter;

import java.util.Map;

/** Shared checks of the adapter values. */
final class Adapters {

  private Adapters() {}

  static void checkRanks(int rank, Map<?, LoraPair> pairs) {
    if (rank <= 0) {
      throw new IllegalArgumentException("rank must be positive, got " + rank);
    }
    for (var e : pairs.entrySet()) {
      if (e.getValue().rank() != rank) {
        throw new IllegalArgumentException(
            e.getKey() + " has rank " + e.getValue().rank() + " but the adapter's rank is " + rank);
      }
    }
  }
}
