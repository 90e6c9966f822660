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
 * layer: one indexed write per store and layer for K and for V, and, when the forward is a decode step of
 * sequences sharing one store, the batched read of their caches with a padding mask.
 */
final class CachePlan {

    /** The rows of one store: row i goes to (slot[i], position[i]). */
    private record Write(KvStore store, NDArray rows, boolean allRows, NDIndex target) {
    }

    private final NDManager step;
    private final List<Write> writes;
    private final KvStore decodeStore;   // non-null: a decode step of one store
    private final NDIndex decodeRead;    // [B, kvHeads, L, hd] of the batch's slots
    private final NDArray decodeSlots;   // null when the slots are 0..B-1 in order (a view, no gather)
    private final NDArray mask;          // [B, 1, 1, L]: -inf beyond each sequence's length

    private CachePlan(NDManager step, List<Write> writes, KvStore decodeStore, NDIndex decodeRead, NDArray decodeSlots,
                      NDArray mask) {
        this.step = step;
        this.writes = writes;
        this.decodeStore = decodeStore;
        this.decodeRead = decodeRead;
        this.decodeSlots = decodeSlots;
        this.mask = mask;
    }

    static CachePlan of(NDManager step, List<Segment> segments, int rows) {
        Map<KvStore, List<long[]>> byStore = new IdentityHashMap<>(); // store → (row, slot, position)
        boolean allCachedSingle = !segments.isEmpty();
        int row = 0;
        for (Segment s : segments) {
            KvCache c = s.cache();
            if (c == null) {
                allCachedSingle = false;
            } else {
                c.store().ensureCapacity(c.length() + s.length());
                var list = byStore.computeIfAbsent(c.store(), k -> new ArrayList<>());
                for (int i = 0; i < s.length(); i++) {
                    list.add(new long[] {row + i, c.slot(), c.length() + i});
                }
                allCachedSingle &= s.length() == 1;
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
            writes.add(new Write(e.getKey(), all ? null : step.create(r), all,
                    new NDIndex("{}, :, {}, :", step.create(slot), step.create(pos))));
        }
        if (!allCachedSingle || byStore.size() != 1) {
            return new CachePlan(step, writes, null, null, null, null);
        }
        int b = segments.size();
        int maxLen = 0;
        long[] slots = new long[b];
        boolean inOrder = true;
        for (int i = 0; i < b; i++) {
            KvCache c = segments.get(i).cache();
            slots[i] = c.slot();
            inOrder &= c.slot() == i;
            maxLen = Math.max(maxLen, c.length() + 1);
        }
        float[] m = new float[b * maxLen];
        for (int i = 0; i < b; i++) {
            for (int j = segments.get(i).cache().length() + 1; j < maxLen; j++) {
                m[i * maxLen + j] = Float.NEGATIVE_INFINITY;
            }
        }
        NDIndex read = inOrder ? new NDIndex("0:" + b + ", :, :" + maxLen + ", :") : new NDIndex(":, :, :" + maxLen + ", :");
        return new CachePlan(step, writes, writes.getFirst().store(), read, inOrder ? null : step.create(slots),
                step.create(m, new Shape(b, 1, 1, maxLen)));
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

    boolean decodeBatch() {
        return decodeStore != null;
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
