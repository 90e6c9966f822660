package io.adapterplatform.engine.model;

/**
 * The cache of one sequence: a slot of a {@link KvStore} and how many tokens it holds. Close it
 * when the sequence ends (this frees the slot, or the private store of {@link
 * #KvCache(BaseModel)}).
 */
public final class KvCache implements AutoCloseable {

  private final KvStore store;
  private final int slot;
  private final boolean ownsStore;
  private int length;
  private boolean closed;

  /** A cache with a private one-slot store (a lone sequence: CLI, tests). */
  public KvCache(BaseModel model) {
    this(new KvStore(model, 1, 64), 0, true);
  }

  KvCache(KvStore store, int slot, boolean ownsStore) {
    this.store = store;
    this.slot = slot;
    this.ownsStore = ownsStore;
  }

  /** Tokens cached so far (the position of the next token). */
  public int length() {
    return length;
  }

  KvStore store() {
    if (closed) {
      // its slot may already hold another sequence: never read or write through a closed cache
      throw new IllegalStateException("this KV cache was closed; its sequence cannot continue");
    }
    return store;
  }

  int slot() {
    return slot;
  }

  /** Called by the model once all layers of a forward have written {@code n} tokens. */
  void advance(int n) {
    length += n;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (ownsStore) {
      store.close();
    } else {
      store.release(slot);
    }
  }
}
