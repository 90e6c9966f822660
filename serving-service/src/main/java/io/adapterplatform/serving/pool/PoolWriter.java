package io.adapterplatform.serving.pool;

import io.adapterplatform.engine.fused.AdapterPool;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The only way the device tier changes the engine's {@link AdapterPool}: the scheduler that owns
 * the pool runs {@code mutation} between two decode steps (never during a forward on that pool) and
 * completes the future after it.
 */
@FunctionalInterface
public interface PoolWriter {

  CompletableFuture<Void> betweenSteps(Consumer<AdapterPool> mutation);

  /**
   * As {@link #betweenSteps(Consumer)} on the pool of {@code baseModel}'s scheduler, where a server
   * holds several base models (each with its own pool); a writer of one pool ignores the name.
   */
  default CompletableFuture<Void> betweenSteps(String baseModel, Consumer<AdapterPool> mutation) {
    return betweenSteps(mutation);
  }
}
