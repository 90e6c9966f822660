package io.adapterplatform.engine.fused;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.adapter.Dora;
import io.adapterplatform.engine.adapter.LoraPair;
import io.adapterplatform.engine.adapter.MixLora;
import io.adapterplatform.engine.adapter.ModuleKey;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.model.AdapterHook;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A set of adapters stacked on the model's device for the fused multi-adapter forward.
 *
 * <p>Per targeted projection the pool holds A [slots, r_max, in] and Bᵀ [slots, r_max, out], every adapter
 * zero-padded to the pool's largest rank (exact: padded rows of A and columns of B add nothing), a
 * scaling per slot, and for DoRA slots the factor m / ‖W + s·B A‖ per output feature, computed once here
 * because W is frozen. Slot 0 is "no adapter" (all zeros). A plain LoRA/DoRA adapter takes one slot; a
 * MixLoRA adapter takes one slot for its attention LoRA and one per expert for the FFN projections.
 *
 * <p>{@link #bind} gives the {@link AdapterHook} of one batch: rows choose adapters by index, and each
 * projection costs the same number of DJL operations however many distinct adapters the batch mixes.
 */
public final class AdapterPool implements AutoCloseable {

    private final BaseModel model;
    private final NDManager manager;
    private final AdapterWeights[] adapters;  // reserved pools change these in place (put/clear)
    private final boolean reserved;
    private final int slots;
    private final int maxRank;
    private final int[] adapterSlot;         // adapter → main slot
    private final int[] adapterMix;          // adapter → MixLoRA index (1-based), 0 for LoRA/DoRA
    private final float[] slotScaling;       // [slots]
    private final boolean[] slotDora;        // [slots]
    private final NDArray scaling;           // [slots]
    private final NDArray[][] a;             // [layer][projection] → [slots, r, in] or null when untargeted
    private final NDArray[][] b;             // [layer][projection] → Bᵀ [slots, r, out] (rows of Bᵀ contiguous:
                                             // the host kernel streams them, DISTINCT reshapes without a copy)
    private final NDArray[][] doraScale;     // [layer][projection] → [slots, out] or null without DoRA
    // MixLoRA: index 0 is the "not MixLoRA" row, whose router puts all weight on expert 0
    private final int mixCount;
    private final int maxExperts;
    private final int maxTopK;
    private final int[] mixExpertSlot;       // mix → slot of its expert 0
    private final int[] mixTopK;             // mix → top_k
    private final NDArray[] routers;         // [layer] → [mixCount + 1, maxExperts, hidden]
    private final NDArray[] routersFlat;     // [layer] → [(mixCount + 1)·maxExperts, hidden], same memory
    private final NDArray routerMask;        // [mixCount + 1, maxExperts]: 0 for real experts, -inf otherwise

    private AdapterPool(BaseModel model, List<AdapterWeights> adapters, boolean reserved) {
        this.model = model;
        this.adapters = adapters.toArray(new AdapterWeights[0]);
        this.reserved = reserved;
        this.manager = model.manager().newSubManager();
        ModelDims dims = model.dims();
        int n = adapters.size();
        if (n == 0) {
            throw new IllegalArgumentException("a pool needs at least one adapter");
        }
        adapterSlot = new int[n];
        adapterMix = new int[n];
        int slot = 1;
        int rank = 1;
        int mixes = 0;
        int experts = 1;
        int topK = 1;
        for (int i = 0; i < n; i++) {
            AdapterWeights w = adapters.get(i);
            adapterSlot[i] = slot++;
            rank = Math.max(rank, w instanceof MixLora m ? m.maxRank() : w.rank());
            if (w instanceof MixLora m) {
                adapterMix[i] = ++mixes;
                slot += m.numExperts();
                experts = Math.max(experts, m.numExperts());
                topK = Math.max(topK, m.topK());
            }
        }
        slots = slot;
        maxRank = rank;
        mixCount = mixes;
        maxExperts = experts;
        maxTopK = topK;
        slotScaling = new float[slots];
        slotDora = new boolean[slots];
        mixExpertSlot = new int[mixes + 1];
        mixTopK = new int[mixes + 1];
        mixTopK[0] = 1;
        for (int i = 0; i < n; i++) {
            AdapterWeights w = adapters.get(i);
            slotScaling[adapterSlot[i]] = (float) w.scaling();
            slotDora[adapterSlot[i]] = w instanceof Dora;
            if (w instanceof MixLora m) {
                int first = adapterSlot[i] + 1;
                mixExpertSlot[adapterMix[i]] = first;
                mixTopK[adapterMix[i]] = m.topK();
                Arrays.fill(slotScaling, first, first + m.numExperts(), (float) m.expertScaling());
            }
        }
        try {
            scaling = manager.create(slotScaling);
            a = new NDArray[dims.numLayers()][Projection.values().length];
            b = new NDArray[dims.numLayers()][Projection.values().length];
            doraScale = new NDArray[dims.numLayers()][Projection.values().length];
            for (int l = 0; l < dims.numLayers(); l++) {
                for (Projection p : Projection.values()) {
                    stack(l, p);
                }
            }
            routers = new NDArray[dims.numLayers()];
            routersFlat = new NDArray[dims.numLayers()];
            routerMask = mixes == 0 ? null : stackRouters();
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Stacks {@code adapters} for {@code model}; adapter i is then chosen by index i in {@link #bind}. */
    public static AdapterPool of(BaseModel model, List<AdapterWeights> adapters) {
        return new AdapterPool(model, adapters, false);
    }

    /**
     * A pool of {@code capacity} empty LoRA/DoRA slots of rank up to {@code maxRank} on every projection,
     * filled and refilled in place with {@link #put} and {@link #clear} (hot-loading adapters without
     * restacking the others). MixLoRA adapters need a pool of their own ({@link #of}).
     */
    public static AdapterPool reserve(BaseModel model, int capacity, int maxRank) {
        if (capacity <= 0 || maxRank <= 0) {
            throw new IllegalArgumentException("capacity and maxRank must be positive: " + capacity + ", " + maxRank);
        }
        List<AdapterWeights> empty = new java.util.ArrayList<>();
        for (int i = 0; i < capacity; i++) {
            empty.add(emptyLora(maxRank));
        }
        return new AdapterPool(model, empty, true);
    }

    private static AdapterWeights emptyLora(int rank) {
        return new io.adapterplatform.engine.adapter.Lora(rank, 0.0, Map.of());
    }

    /**
     * Puts a LoRA or DoRA adapter into slot {@code index} of a reserved pool, replacing what was there.
     * Call it between steps, never while a forward that uses this pool runs.
     */
    public void put(int index, AdapterWeights w) {
        if (!reserved) {
            throw new IllegalStateException("only a pool made by reserve() can be changed in place");
        }
        if (index < 0 || index >= adapters.length) {
            throw new IllegalArgumentException("slot " + index + " outside [0, " + adapters.length + ")");
        }
        if (w instanceof MixLora) {
            throw new IllegalArgumentException("a reserved pool holds LoRA and DoRA adapters; stack MixLoRA with of()");
        }
        if (w.rank() > maxRank) {
            throw new IllegalArgumentException("adapter rank " + w.rank() + " exceeds the pool's rank " + maxRank);
        }
        int slot = adapterSlot[index];
        try (NDManager tmp = manager.newSubManager()) {
            for (int l = 0; l < model.dims().numLayers(); l++) {
                for (Projection p : Projection.values()) {
                    int in = model.dims().inFeatures(p);
                    int out = model.dims().outFeatures(p);
                    float[] av = new float[maxRank * in];
                    float[] bv = new float[maxRank * out];
                    LoraPair pair = w.modules().get(new ModuleKey(l, p));
                    if (pair != null) {
                        checkShape(index, l, p, pair, in, out);
                        put(av, bv, 0, pair, in, out);
                    }
                    NDArray aSlot = tmp.create(av, new Shape(maxRank, in));
                    NDArray bSlot = tmp.create(bv, new Shape(maxRank, out)); // Bᵀ
                    a[l][p.ordinal()].set(new NDIndex(String.valueOf(slot)), aSlot);
                    b[l][p.ordinal()].set(new NDIndex(String.valueOf(slot)), bSlot);
                    NDArray factor = tmp.ones(new Shape(out));
                    if (w instanceof Dora d && pair != null) {
                        // DoRA: m / ‖W + s·B A‖ per output feature, for this slot only
                        NDArray weight = model.layer(l).weight(p).get(tmp, new NDIndex(":"));
                        NDArray merged = weight.add(bSlot.transpose().matMul(aSlot).mul((float) d.scaling()));
                        factor = tmp.create(d.magnitudes().get(new ModuleKey(l, p))).div(merged.norm(new int[] {1}));
                    }
                    doraScale[l][p.ordinal()].set(new NDIndex(String.valueOf(slot)), factor);
                }
            }
        }
        scaling.set(new NDIndex(String.valueOf(slot)), (float) w.scaling());
        slotScaling[slot] = (float) w.scaling();
        slotDora[slot] = w instanceof Dora;
        adapters[index] = w;
    }

    /** Empties slot {@code index} of a reserved pool: rows choosing it get the bare base model. */
    public void clear(int index) {
        put(index, emptyLora(maxRank));
    }

    /** The adapters by index (a reserved pool's empty slots hold an empty LoRA). */
    public List<AdapterWeights> adapters() {
        return List.of(adapters.clone());
    }

    /** Number of adapters (the indices rows may choose). */
    public int size() {
        return adapters.length;
    }

    /** Number of slots, slot 0 (no adapter) included. */
    public int slots() {
        return slots;
    }

    public int maxRank() {
        return maxRank;
    }

    private void stack(int l, Projection p) {
        int in = model.dims().inFeatures(p);
        int out = model.dims().outFeatures(p);
        float[] av = null;
        float[] bv = null;
        float[] mag = null;
        for (int i = 0; i < adapters.length; i++) {
            AdapterWeights w = adapters[i];
            LoraPair main = w.modules().get(new ModuleKey(l, p));
            if (main != null) {
                checkShape(i, l, p, main, in, out);
                if (av == null) {
                    av = new float[slots * maxRank * in];
                    bv = new float[slots * maxRank * out];
                }
                put(av, bv, adapterSlot[i], main, in, out);
                if (w instanceof Dora d) {
                    if (mag == null) {
                        mag = new float[slots * out];
                    }
                    System.arraycopy(d.magnitudes().get(new ModuleKey(l, p)), 0, mag, adapterSlot[i] * out, out);
                }
            }
            if (w instanceof MixLora m && p.isFfn()) {
                for (int e = 0; e < m.numExperts(); e++) {
                    LoraPair pair = m.experts().get(new MixLora.ExpertKey(l, p, e));
                    if (pair != null) {
                        checkShape(i, l, p, pair, in, out);
                        if (av == null) {
                            av = new float[slots * maxRank * in];
                            bv = new float[slots * maxRank * out];
                        }
                        put(av, bv, adapterSlot[i] + 1 + e, pair, in, out);
                    }
                }
            }
        }
        if (av == null && reserved) {
            av = new float[slots * maxRank * in];
            bv = new float[slots * maxRank * out];
        }
        if (av == null) {
            return;
        }

        a[l][p.ordinal()] = manager.create(av, new Shape(slots, maxRank, in));
        b[l][p.ordinal()] = manager.create(bv, new Shape(slots, maxRank, out));
        if (reserved) {
            doraScale[l][p.ordinal()] = manager.ones(new Shape(slots, out)); // set per slot by put()
        } else if (mag != null) {
            doraScale[l][p.ordinal()] = doraScale(l, p, mag, out);
        }
    }

    // DoRA: m / ‖W + s·B A‖ per output feature (row norm over the input dimension); 1 for other slots
    private NDArray doraScale(int l, Projection p, float[] mag, int out) {
        try (NDManager tmp = manager.newSubManager()) {
            // copies in tmp, so that every intermediate (the [slots, out, in] products) dies with it
            NDArray w = model.layer(l).weight(p).duplicate();
            w.attach(tmp);
            NDArray bs = b[l][p.ordinal()].get(tmp, new NDIndex(":"));
            NDArray as = a[l][p.ordinal()].get(tmp, new NDIndex(":"));
            NDArray ba = bs.transpose(0, 2, 1).matMul(as);                                // [slots, out, in]
            NDArray norms = w.expandDims(0).add(ba.mul(scaling.get(tmp, new NDIndex(":")).reshape(slots, 1, 1)))
                    .norm(new int[] {2});
            NDArray m = tmp.create(mag, new Shape(slots, out));
            NDArray isDora = tmp.create(toFloat(slotDora)).reshape(slots, 1);
            NDArray scale = m.div(norms).mul(isDora).add(isDora.neg().add(1f));     // non-DoRA slots: 1
            scale.attach(manager);
            return scale;
        }
    }

    private static float[] toFloat(boolean[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = v[i] ? 1f : 0f;
        }
        return f;
    }

    private void checkShape(int adapter, int l, Projection p, LoraPair pair, int in, int out) {
        if (pair.in() != in || pair.out() != out) {
            throw new IllegalArgumentException("adapter " + adapter + ": LoRA on layer " + l + " " + p.module()
                    + " is [" + pair.out() + " x " + pair.in() + "] but the model's projection is [" + out + " x "
                    + in + "]");
        }
    }

    private void put(float[] av, float[] bv, int slot, LoraPair pair, int in, int out) {
        int r = pair.rank();
        // A rows beyond r and Bᵀ rows beyond r stay zero: padding to maxRank is exact
        System.arraycopy(pair.a(), 0, av, slot * maxRank * in, r * in);
        int base = slot * maxRank * out;
        for (int o = 0; o < out; o++) {
            for (int k = 0; k < r; k++) {
                bv[base + k * out + o] = pair.b()[o * r + k];
            }
        }
    }

    private NDArray stackRouters() {
        int h = model.dims().hiddenSize();
        float[] mask = new float[(mixCount + 1) * maxExperts];
        Arrays.fill(mask, Float.NEGATIVE_INFINITY);
        mask[0] = 0f; // the non-MixLoRA row: expert 0 with weight 1
        for (int l = 0; l < routers.length; l++) {
            float[] r = new float[(mixCount + 1) * maxExperts * h];
            for (int i = 0; i < adapters.length; i++) {
                if (adapters[i] instanceof MixLora m) {
                    int mix = adapterMix[i];
                    float[] wg = m.routers().get(l);
                    if (wg != null) {
                        if (wg.length != m.numExperts() * h) {
                            throw new IllegalArgumentException("adapter " + i + ": router of layer " + l + " has "
                                    + wg.length + " values, expected [" + m.numExperts() + " x " + h + "]");
                        }
                        System.arraycopy(wg, 0, r, mix * maxExperts * h, wg.length);
                    }
                    Arrays.fill(mask, mix * maxExperts, mix * maxExperts + m.numExperts(), 0f);
                }
            }
            routers[l] = manager.create(r, new Shape(mixCount + 1, maxExperts, h));
            routersFlat[l] = routers[l].reshape((long) (mixCount + 1) * maxExperts, h);
        }
        return manager.create(mask, new Shape(mixCount + 1, maxExperts));
    }

    /**
     * The hook of one batch: row t uses adapter {@code rowAdapter[t]} (an index into {@link #adapters()},
     * or -1 for the bare base model). Arrays it creates live in {@code step}.
     */
    public AdapterHook bind(NDManager step, int[] rowAdapter, GroupedLora.Strategy strategy) {
        return new BoundBatch(this, step, rowAdapter, strategy);
    }

    /** True when {@link GroupedLora.Strategy#KERNEL} can run over this pool (see {@link HostKernels}). */
    public boolean kernelUsable() {
        return HostKernels.usableFor(scaling);
    }

    // package-private views for BoundBatch
    int adapterSlot(int adapter) {
        return adapterSlot[adapter];
    }

    int adapterMix(int adapter) {
        return adapterMix[adapter];
    }

    float slotScaling(int slot) {
        return slotScaling[slot];
    }

    boolean slotDora(int slot) {
        return slotDora[slot];
    }

    NDArray scaling() {
        return scaling;
    }

    NDArray a(int l, Projection p) {
        return a[l][p.ordinal()];
    }

    NDArray b(int l, Projection p) {
        return b[l][p.ordinal()];
    }

    NDArray doraScale(int l, Projection p) {
        return doraScale[l][p.ordinal()];
    }

    int mixCount() {
        return mixCount;
    }

    int maxExperts() {
        return maxExperts;
    }

    int maxTopK() {
        return maxTopK;
    }

    int mixExpertSlot(int mix) {
        return mixExpertSlot[mix];
    }

    int mixTopK(int mix) {
        return mixTopK[mix];
    }

    int numExperts(int mix) {
        for (int i = 0; i < adapters.length; i++) {
            if (adapterMix[i] == mix) {
                return ((MixLora) adapters[i]).numExperts();
            }
        }
        return 1;
    }

    NDArray router(int l) {
        return routers[l];
    }

    NDArray routerFlat(int l) {
        return routersFlat[l];
    }

    NDArray routerMask() {
        return routerMask;
    }

    @Override
    public void close() {
        manager.close();
    }
}
