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
}
