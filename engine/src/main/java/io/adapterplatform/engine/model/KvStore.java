package io.adapterplatform.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Keys and values of up to {@code slots} sequences, per layer one preallocated slab [slots,
 * kvHeads, capacity, headDim] for K and one for V. New tokens are written in place (one indexed
 * write per layer for all rows of a step), and a decode step of sequences that share a store reads
 * their caches with a fixed number of operations, however many sequences there are. The capacity
 * doubles when a sequence outgrows it.
 *
 * <p>Use one store per serving batch (a slot per running sequence: {@link #allocate()}), or let
 * {@link KvCache#KvCache(BaseModel)} make a private one-slot store for a lone sequence. Not
 * thread-safe: one forward at a time per store.
 */
public final class KvStore implements AutoCloseable {

  private final ModelDims dims;
  private final NDManager manager;
  private final NDArray[] keys;
  private final NDArray[] values;
  private final Deque<Integer> free = new ArrayDeque<>();
  private final int slots;
  private int capacity;

  /**
   * A store of {@code slots} sequences, room for {@code initialCapacity} tokens each to begin with.
   */
  public KvStore(BaseModel model, int slots, int initialCapacity) {
    if (slots <= 0 || initialCapacity <= 0) {
      throw new IllegalArgumentException(
          "slots and capacity must be positive: " + slots + ", " + initialCapacity);
    }
    this.dims = model.dims();
    this.manager = model.manager().newSubManager();
    this.slots = slots;
    this.capacity = initialCapacity;
    this.keys = new NDArray[dims.numLayers()];
    this.values = new NDArray[dims.numLayers()];
    for (int l = 0; l < keys.length; l++) {
      keys[l] = manager.zeros(shape(capacity));
      values[l] = manager.zeros(shape(capacity));
    }
    for (int s = 0; s < slots; s++) {
      free.add(s);
    }
  }

  private Shape shape(int cap) {
    return new Shape(slots, dims.numKvHeads(), cap, dims.headDim());
  }

  /** A cache for a new sequence in a free slot. */
  public KvCache allocate() {
    Integer slot = free.poll();
    if (slot == null) {
      throw new IllegalStateException("all " + slots + " slots of the KV store are in use");
    }
    return new KvCache(this, slot, false);
  }

  void release(int slot) {
    free.add(slot);
  }

  public int slots() {
    return slots;
  }

  /** Tokens each slot can hold before the store grows. */
  public int capacity() {
    return capacity;
  }

  /**
   * Makes room for {@code length} tokens per slot, doubling the capacity (existing entries are
   * kept).
   */
  void ensureCapacity(int length) {
    if (length <= capacity) {
      return;
    }
    int grown = capacity;
    while (grown < length) {
      grown *= 2;
    }
    NDIndex old = new NDIndex(":, :, :" + capacity + ", :");
    for (int l = 0; l < keys.length; l++) {
      NDArray k = manager.zeros(shape(grown));
      NDArray v = manager.zeros(shape(grown));
      k.set(old, keys[l]);
      v.set(old, values[l]);
      keys[l].close();
      values[l].close();
      keys[l] = k;
      values[l] = v;
    }
    capacity = grown;
  }

  NDArray keys(int layer) {
    return keys[layer];
  }

  NDArray values(int layer) {
    return values[layer];
  }

  @Override
  public void close() {
    manager.close();
  }
}
