package io.adapterplatform.serving.pool;

import io.adapterplatform.serving.models.AdapterKey;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The right to decode rows with {@link #slot()}: until every lease on a slot is closed, the pool
 * neither evicts nor rewrites it. Closing twice is harmless.
 */
public final class AdapterLease implements AutoCloseable {

  private final Optional<AdapterKey> key;
  private final int slot;
  private final Runnable release;
  private final AtomicBoolean closed = new AtomicBoolean();

  AdapterLease(Optional<AdapterKey> key, int slot, Runnable release) {
    this.key = key;
    this.slot = slot;
    this.release = release;
  }

  /** A lease on the bare base model: slot -1, nothing held. */
  public static AdapterLease baseModel() {
    return new AdapterLease(Optional.empty(), -1, () -> {});
  }

  /** The index rows of this request pass to the fused forward; -1 for the base model. */
  public int slot() {
    return slot;
  }

  /** The adapter version this lease holds, absent for the base model. */
  public Optional<AdapterKey> key() {
    return key;
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      release.run();
    }
  }
}
