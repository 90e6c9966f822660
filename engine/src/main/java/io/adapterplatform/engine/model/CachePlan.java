package io.adapterplatform.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the rows of one forward go in the KV stores, worked out once on the host and used by every
 * layer: one indexed write per store and layer for K and for V, and, when the forward is a decode
 * step of sequences sharing one store, the batched read of their caches with a padding mask.
 */
final class CachePlan {

  /** The rows of one store: row i goes to (slot[i], position[i]). */
  private record Write(KvStore store, NDArray rows, boolean allRows, NDIndex target) {}

  private final NDManager step;
  private final List<Write> writes;
  private final KvStore decodeStore; // non-null: some segments are a decode step of one store
  private final boolean[] decodeSegment; // which segments the batched decode covers
  private final boolean allDecode; // every segment is covered: no reordering needed
  private final NDArray decodeRows; // rows of the covered segments (mixed forwards only)
  private final NDArray inverse; // [decode rows, other rows] → original row order (mixed only)
  private final NDIndex decodeRead; // [B, kvHeads, L, hd] of the covered slots
  private final NDArray decodeSlots; // null when the slots are 0..B-1 in order (a view, no gather)
  private final NDArray mask; // [B, 1, 1, L]: -inf beyond each sequence's length

  private CachePlan(
      NDManager step,
      List<Write> writes,
      KvStore decodeStore,
      boolean[] decodeSegment,
      boolean allDecode,
      NDArray decodeRows,
      NDArray inverse,
      NDIndex decodeRead,
      NDArray decodeSlots,
      NDArray mask) {
    this.step = step;
    this.writes = writes;
    this.decodeStore = decodeStore;
    this.decodeSegment = decodeSegment;
    this.allDecode = allDecode;
    this.decodeRows = decodeRows;
    this.inverse = inverse;
    this.decodeRead = decodeRead;
    this.decodeSlots = decodeSlots;
    this.mask = mask;
  }

  static CachePlan of(NDManager step, List<Segment> segments, int rows) {
    Map<KvStore, List<long[]>> byStore = new IdentityHashMap<>(); // store → (row, slot, position)
    Map<KvStore, Integer> decoding = new IdentityHashMap<>(); // store → its segments of length 1
    int row = 0;
    for (Segment s : segments) {
      KvCache c = s.cache();
      if (c != null) {
        c.store().ensureCapacity(c.length() + s.length());
        var list = byStore.computeIfAbsent(c.store(), k -> new ArrayList<>());
        for (int i = 0; i < s.length(); i++) {
          list.add(new long[] {row + i, c.slot(), c.length() + i});
        }
        if (s.length() == 1) {
          decoding.merge(c.store(), 1, Integer::sum);
        }
      }
      row += s.length();
    }
    List<Write> writes = new ArrayList<>();
    for (var e : byStore.entrySet()) {
      List<long[]> entries = e.getValue();
      long[] r = new long[entries.size()];
      long[] slot = new long[entries.size()];
      long[] pos = new long[entries.size()];
      for (int i = 0; i < r.length; i++) {
        r[i] = entries.get(i)[0];
        slot[i] = entries.get(i)[1];
        pos[i] = entries.get(i)[2];
      }
      boolean all = r.length == rows;
      writes.add(
          new Write(
              e.getKey(),
              all ? null : step.create(r),
              all,
              new NDIndex("{}, :, {}, :", step.create(slot), step.create(pos))));
    }
    // the store with the most sequences taking one decode step gets the batched attention
    KvStore store = null;
    int count = 0;
    for (var e : decoding.entrySet()) {
      if (e.getValue() > count) {
        store = e.getKey();
        count = e.getValue();
      }
    }
    boolean allDecode = count == segments.size();
    if (store == null || (count < 2 && !allDecode)) {
      return new CachePlan(step, writes, null, null, false, null, null, null, null, null);
    }
    boolean[] covered = new boolean[segments.size()];
    long[] slots = new long[count];
    long[] coveredRows = new long[count];
    long[] inv = new long[rows];
    int maxLen = 0;
    boolean inOrder = true;
    int b = 0;
    row = 0;
    for (int i = 0; i < segments.size(); i++) {
      Segment s = segments.get(i);
      KvCache c = s.cache();
      if (c != null && s.length() == 1 && c.store() == store) {
        covered[i] = true;
        slots[b] = c.slot();
        coveredRows[b] = row;
        inOrder &= c.slot() == b;
        maxLen = Math.max(maxLen, c.length() + 1);
        b++;
      }
      row += s.length();
    }
    // decode rows first, then the other segments' rows in order
    int next = count;
    int d = 0;
    row = 0;
    for (int i = 0; i < segments.size(); i++) {
      for (int j = 0; j < segments.get(i).length(); j++, row++) {
        inv[row] = covered[i] ? d++ : next++;
      }
    }
    float[] m = new float[count * maxLen];
    b = 0;
    for (int i = 0; i < segments.size(); i++) {
      if (covered[i]) {
        for (int j = segments.get(i).cache().length() + 1; j < maxLen; j++) {
          m[b * maxLen + j] = Float.NEGATIVE_INFINITY;
        }
        b++;
      }
    }
    NDIndex read =
        inOrder
            ? new NDIndex("0:" + count + ", :, :" + maxLen + ", :")
            : new NDIndex(":, :, :" + maxLen + ", :");
    return new CachePlan(
        step,
        writes,
        store,
        covered,
        allDecode,
        allDecode ? null : step.create(coveredRows),
        allDecode ? null : step.create(inv),
        read,
        inOrder ? null : step.create(slots),
        step.create(m, new Shape(count, 1, 1, maxLen)));
  }

  /** Writes the rows' keys and values [rows, kvHeads, hd] of layer {@code l} into their stores. */
  void write(int l, NDArray k, NDArray v) {
    for (Write w : writes) {
      NDArray kr = w.allRows() ? k : k.get(new NDIndex("{}", w.rows()));
      NDArray vr = w.allRows() ? v : v.get(new NDIndex("{}", w.rows()));
      w.store().keys(l).set(w.target(), kr);
      w.store().values(l).set(w.target(), vr);
    }
  }

  /**
   * True when every segment is a decode step of one store (one batched attention, nothing else).
   */
  boolean decodeBatch() {
    return decodeStore != null && allDecode;
  }

  /** True when some segments (at least two) are a decode step of one store and others are not. */
  boolean mixed() {
    return decodeStore != null && !allDecode;
  }

  /** Whether segment {@code i} is covered by the batched decode attention. */
  boolean covers(int i) {
    return decodeSegment != null && decodeSegment[i];
  }

  /** The covered rows of {@code x} (mixed forwards). */
  NDArray decodeRows(NDArray x) {
    return x.get(new NDIndex("{}", decodeRows));
  }

  /** Rows in [covered, others] order back to the forward's order (mixed forwards). */
  NDArray reorder(NDArray stacked) {
    return stacked.get(new NDIndex("{}", inverse));
  }

  KvStore store() {
    return decodeStore;
  }

  /** The batch's cached rows of a slab: a view when the slots are 0..B-1, else one gather. */
  NDArray read(NDArray slab) {
    NDArray view = slab.get(step, decodeRead); // in the step: results of ops on the slab stay there
    return decodeSlots == null ? view : view.get(new NDIndex("{}", decodeSlots));
  }

  NDArray mask() {
    return mask;
  }
}
