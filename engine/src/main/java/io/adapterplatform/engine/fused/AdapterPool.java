package io.adapterplatform.engine.fused;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.adapter.Dora;
import io.adapterplatform.engine.adapter.LoraPair;
import io.adapterplatform.engine.adapter.MixLora;
import io.adapterplatform.engine.adapter.ModuleKey;
import io.adapterplatform.engine.format.FloatConversions;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.model.AdapterHook;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A set of adapters stacked on the model's device for the fused multi-adapter forward.
 *
 * <p>Per targeted projection the pool holds A [slots, r_max, in] and Bᵀ [slots, r_max, out], every
 * adapter zero-padded to the pool's largest rank (exact: padded rows of A and columns of B add
 * nothing), a scaling per slot, and for DoRA slots the factor m / ‖W + s·B A‖ per output feature,
 * computed once here because W is frozen. Slot 0 is "no adapter" (all zeros). A plain LoRA/DoRA
 * adapter takes one slot; a MixLoRA adapter takes one slot for its attention LoRA and one per
 * expert for the FFN projections.
 *
 * <p>A pool made by {@link #reserve(BaseModel, int, int, int, int, int)} has fixed places instead,
 * filled and refilled in place by {@link #put} and {@link #clear}: LoRA/DoRA places of one slot and
 * MixLoRA places of {@code 1 + maxExperts} slots plus a router block per layer, so that hot-loading
 * never restacks the others.
 *
 * <p>{@link #bind} gives the {@link AdapterHook} of one batch: rows choose adapters by index, and
 * each projection costs the same number of DJL operations however many distinct adapters the batch
 * mixes.
 */
public final class AdapterPool implements AutoCloseable {

  private final BaseModel model;
  private final NDManager manager;
  private final AdapterWeights[] adapters; // reserved pools change these in place (put/clear)
  private final boolean reserved;
  private final PoolStorage storage;
  private final int
      loraPlaces; // reserved pools: indices [0, loraPlaces) take LoRA/DoRA, the rest MixLoRA
  private final int slots;
  private final int maxRank;
  private final int[] adapterSlot; // adapter → main slot
  private final int[] adapterMix; // adapter → MixLoRA index (1-based), 0 for LoRA/DoRA
  private final float[] slotScaling; // [slots]
  private final boolean[] slotDora; // [slots]
  private final boolean[]
      slotDoraGateUp; // [slots] a DoRA slot with a pair on gate or up (some layer)
  private final NDArray scaling; // [slots]
  private final NDArray[][] a; // [layer][projection] → [slots, r, in] or null when untargeted
  private final NDArray[][] b; // [layer][projection] → Bᵀ [slots, r, out] (rows of Bᵀ contiguous:
  // the host kernel streams them, DISTINCT reshapes without a copy)
  private final NDArray[][] doraScale; // [layer][projection] → [slots, out] or null without DoRA
  // MixLoRA: index 0 is the "not MixLoRA" row, whose router puts all weight on expert 0
  private final int mixCount;
  private final int maxExperts;
  private final int maxTopK;
  private final int[] mixExpertSlot; // mix → slot of its expert 0
  private final int[] mixTopK; // mix → top_k
  private final int[] mixExperts; // mix → its number of experts (BoundBatch asks per batch: O(1))
  private final NDArray[] routers; // [layer] → [mixCount + 1, maxExperts, hidden]
  private final NDArray[] routersFlat; // [layer] → [(mixCount + 1)·maxExperts, hidden], same memory
  private final NDArray
      routerMask; // [mixCount + 1, maxExperts]: 0 for real experts, -inf otherwise

  /** The fixed layout of a reserved pool: its LoRA/DoRA places and the limits of every place. */
  private record Reserve(int loraPlaces, int maxRank, int maxExperts, int maxTopK) {}

  private AdapterPool(
      BaseModel model, List<AdapterWeights> adapters, Reserve reserve, PoolStorage storage) {
    this.model = model;
    this.adapters = adapters.toArray(new AdapterWeights[0]);
    this.reserved = reserve != null;
    this.storage = java.util.Objects.requireNonNull(storage, "storage");
    if (storage == PoolStorage.BF16
        && !(HostKernels.available()
            && model.manager().getDevice().getDeviceType().equals(ai.djl.Device.Type.CPU))) {
      throw new IllegalArgumentException(
          "a bf16 pool is read by the host kernel only: it needs the CPU and a "
              + "JVM started with --add-modules jdk.incubator.vector (model on "
              + model.manager().getDevice()
              + ", Vector API "
              + (HostKernels.available() ? "present" : "absent")
              + ")");
    }
    this.loraPlaces = reserve != null ? reserve.loraPlaces() : adapters.size();
    this.manager = model.manager().newSubManager();
    ModelDims dims = model.dims();
    int n = adapters.size();
    if (n == 0) {
      throw new IllegalArgumentException("a pool needs at least one adapter");
    }
    adapterSlot = new int[n];
    adapterMix = new int[n];
    int slot = 1;
    int rank = reserve != null ? reserve.maxRank() : 1;
    int mixes = 0;
    int experts = reserve != null ? reserve.maxExperts() : 1;
    int topK = reserve != null ? reserve.maxTopK() : 1;
    for (int i = 0; i < n; i++) {
      AdapterWeights w = adapters.get(i);
      adapterSlot[i] = slot++;
      rank = Math.max(rank, w instanceof MixLora m ? m.maxRank() : w.rank());
      if (w instanceof MixLora m) {
        adapterMix[i] = ++mixes;
        // a reserved MixLoRA place owns room for the pool's largest adapter, whatever it holds now
        int width = reserve != null ? reserve.maxExperts() : m.numExperts();
        slot += width;
        experts = Math.max(experts, width);
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
    slotDoraGateUp = new boolean[slots];
    mixExpertSlot = new int[mixes + 1];
    mixTopK = new int[mixes + 1];
    mixTopK[0] = 1;
    mixExperts = new int[mixes + 1];
    mixExperts[0] = 1;
    for (int i = 0; i < n; i++) {
      AdapterWeights w = adapters.get(i);
      slotScaling[adapterSlot[i]] = (float) w.scaling();
      slotDora[adapterSlot[i]] = w instanceof Dora;
      slotDoraGateUp[adapterSlot[i]] = doraOnGateUp(w);
      if (w instanceof MixLora m) {
        int first = adapterSlot[i] + 1;
        mixExpertSlot[adapterMix[i]] = first;
        mixTopK[adapterMix[i]] = m.topK();
        mixExperts[adapterMix[i]] = m.numExperts();
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

  /**
   * Stacks {@code adapters} for {@code model}; adapter i is then chosen by index i in {@link
   * #bind}.
   */
  public static AdapterPool of(BaseModel model, List<AdapterWeights> adapters) {
    return of(model, adapters, PoolStorage.FP32);
  }

  /** As {@link #of(BaseModel, List)}, keeping A and B as {@code storage} says. */
  public static AdapterPool of(
      BaseModel model, List<AdapterWeights> adapters, PoolStorage storage) {
    return new AdapterPool(model, adapters, null, storage);
  }

  /**
   * A pool of {@code capacity} empty LoRA/DoRA places of rank up to {@code maxRank} on every
   * projection, filled and refilled in place with {@link #put} and {@link #clear} (hot-loading
   * adapters without restacking the others). It has no MixLoRA places: see {@link
   * #reserve(BaseModel, int, int, int, int, int)}.
   */
  public static AdapterPool reserve(BaseModel model, int capacity, int maxRank) {
    if (capacity <= 0 || maxRank <= 0) {
      throw new IllegalArgumentException(
          "capacity and maxRank must be positive: " + capacity + ", " + maxRank);
    }
    return reserve(model, capacity, maxRank, 0, 1, 1);
  }

  /**
   * A pool of {@code capacity} empty LoRA/DoRA places (indices {@code [0, capacity)}) and {@code
   * mixCapacity} empty MixLoRA places (indices {@code [capacity, capacity + mixCapacity)}), every
   * pair of rank up to {@code maxRank}, every MixLoRA adapter with at most {@code maxExperts}
   * experts and top_k at most {@code maxTopK}. A MixLoRA place owns {@code 1 + maxExperts} slots
   * (its attention LoRA, then one per expert) and a {@code [maxExperts, hidden]} router block per
   * layer, whatever it holds. An empty place leaves its rows on the bare base model.
   */
  public static AdapterPool reserve(
      BaseModel model, int capacity, int maxRank, int mixCapacity, int maxExperts, int maxTopK) {
    return reserve(model, capacity, maxRank, mixCapacity, maxExperts, maxTopK, PoolStorage.FP32);
  }

  /**
   * As {@link #reserve(BaseModel, int, int, int, int, int)}, keeping A and B as {@code storage}
   * says.
   */
  public static AdapterPool reserve(
      BaseModel model,
      int capacity,
      int maxRank,
      int mixCapacity,
      int maxExperts,
      int maxTopK,
      PoolStorage storage) {
    if (capacity < 0 || mixCapacity < 0 || capacity + mixCapacity == 0) {
      throw new IllegalArgumentException(
          "a reserved pool needs at least one place, got capacity "
              + capacity
              + " and mixCapacity "
              + mixCapacity);
    }
    if (maxRank <= 0) {
      throw new IllegalArgumentException("maxRank must be positive, got " + maxRank);
    }
    if (maxExperts <= 0 || maxTopK <= 0 || maxTopK > maxExperts) {
      throw new IllegalArgumentException(
          "a reserved pool needs 0 < maxTopK <= maxExperts, got maxTopK "
              + maxTopK
              + " and maxExperts "
              + maxExperts);
    }
    List<AdapterWeights> empty = new java.util.ArrayList<>();
    for (int i = 0; i < capacity; i++) {
      empty.add(emptyLora(maxRank));
    }
    for (int i = 0; i < mixCapacity; i++) {
      empty.add(emptyMix());
    }
    return new AdapterPool(
        model, empty, new Reserve(capacity, maxRank, maxExperts, maxTopK), storage);
  }

  private static AdapterWeights emptyLora(int rank) {
    return new io.adapterplatform.engine.adapter.Lora(rank, 0.0, Map.of());
  }

  // one expert without pairs, top_k 1: the router's zero logits and the mask put weight 1 on that
  // expert,
  // whose zero pairs (scaling 0) add nothing, so rows on an empty place get the base FFN
  private static MixLora emptyMix() {
    return new MixLora(1, 0.0, 1, 0.0, 1, 1, Map.of(), Map.of(), Map.of());
  }

  /**
   * Puts an adapter into place {@code index} of a reserved pool, replacing what was there: a LoRA
   * or DoRA adapter into a LoRA/DoRA place, a MixLoRA adapter into a MixLoRA place. Everything is
   * checked before anything is written, so a refused adapter leaves the place as it was. Call it
   * between steps, never while a forward that uses this pool runs.
   */
  public void put(int index, AdapterWeights w) {
    if (!reserved) {
      throw new IllegalStateException("only a pool made by reserve() can be changed in place");
    }
    if (index < 0 || index >= adapters.length) {
      throw new IllegalArgumentException("slot " + index + " outside [0, " + adapters.length + ")");
    }
    boolean mixPlace = adapterMix[index] > 0;
    if (w instanceof MixLora m) {
      if (!mixPlace) {
        throw new IllegalArgumentException(
            "index "
                + index
                + " is a LoRA/DoRA place; MixLoRA adapters go to "
                + (loraPlaces == adapters.length
                    ? "MixLoRA places, and this pool has none (reserve with mixCapacity > 0)"
                    : "the MixLoRA places [" + loraPlaces + ", " + adapters.length + ")"));
      }
      checkMix(index, m);
      putMix(index, m);
      return;
    }
    if (mixPlace) {
      throw new IllegalArgumentException(
          "index "
              + index
              + " is a MixLoRA place; LoRA/DoRA adapters go to "
              + "the LoRA/DoRA places [0, "
              + loraPlaces
              + ")");
    }
    if (w.rank() > maxRank) {
      throw new IllegalArgumentException(
          "adapter rank " + w.rank() + " exceeds the pool's rank " + maxRank);
    }
    for (var e : w.modules().entrySet()) {
      ModuleKey key = e.getKey();
      checkLayer(index, key.layer(), key.toString());
      checkShape(
          index,
          key.layer(),
          key.projection(),
          e.getValue(),
          model.dims().inFeatures(key.projection()),
          model.dims().outFeatures(key.projection()));
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
            put(av, bv, 0, pair, in, out);
          }
          NDArray aStored = stored(tmp, av, new Shape(maxRank, in));
          NDArray bStored = stored(tmp, bv, new Shape(maxRank, out)); // Bᵀ
          a[l][p.ordinal()].set(new NDIndex(String.valueOf(slot)), aStored);
          b[l][p.ordinal()].set(new NDIndex(String.valueOf(slot)), bStored);
          // DoRA's norm from the weights as stored, so that W + s·B A is what the forward applies
          NDArray aSlot = widen(aStored);
          NDArray bSlot = widen(bStored);
          NDArray factor = tmp.ones(new Shape(out));
          if (w instanceof Dora d && pair != null) {
            // DoRA: m / ‖W + s·B A‖ per output feature, for this slot only
            NDArray weight = model.layer(l).weight(p).get(tmp, new NDIndex(":"));
            NDArray merged = weight.add(bSlot.transpose().matMul(aSlot).mul((float) d.scaling()));
            factor =
                tmp.create(d.magnitudes().get(new ModuleKey(l, p))).div(merged.norm(new int[] {1}));
          }
          doraScale[l][p.ordinal()].set(new NDIndex(String.valueOf(slot)), factor);
        }
      }
    }
    scaling.set(new NDIndex(String.valueOf(slot)), (float) w.scaling());
    slotScaling[slot] = (float) w.scaling();
    slotDora[slot] = w instanceof Dora;
    slotDoraGateUp[slot] = doraOnGateUp(w);
    adapters[index] = w;
  }

  // every limit and shape of a MixLoRA place, before anything is written
  private void checkMix(int index, MixLora m) {
    if (m.numExperts() > maxExperts) {
      throw new IllegalArgumentException(
          "MixLoRA adapter has "
              + m.numExperts()
              + " experts but the pool's maxExperts is "
              + maxExperts);
    }
    if (m.topK() > maxTopK) {
      throw new IllegalArgumentException(
          "MixLoRA adapter has top_k " + m.topK() + " but the pool's maxTopK is " + maxTopK);
    }
    if (m.maxRank() > maxRank) {
      throw new IllegalArgumentException(
          "MixLoRA adapter rank " + m.maxRank() + " exceeds the pool's rank " + maxRank);
    }
    ModelDims dims = model.dims();
    for (var e : m.modules().entrySet()) {
      ModuleKey key = e.getKey();
      checkLayer(index, key.layer(), key.toString());
      checkShape(
          index,
          key.layer(),
          key.projection(),
          e.getValue(),
          dims.inFeatures(key.projection()),
          dims.outFeatures(key.projection()));
    }
    for (var e : m.experts().entrySet()) {
      MixLora.ExpertKey key = e.getKey();
      checkLayer(index, key.layer(), key.toString());
      checkShape(
          index,
          key.layer(),
          key.projection(),
          e.getValue(),
          dims.inFeatures(key.projection()),
          dims.outFeatures(key.projection()));
    }
    for (var e : m.routers().entrySet()) {
      checkLayer(index, e.getKey(), "router of layer " + e.getKey());
      if (e.getValue().length != m.numExperts() * dims.hiddenSize()) {
        throw new IllegalArgumentException(
            "adapter "
                + index
                + ": router of layer "
                + e.getKey()
                + " has "
                + e.getValue().length
                + " values, expected ["
                + m.numExperts()
                + " x "
                + dims.hiddenSize()
                + "]");
      }
    }
  }

  private void checkLayer(int index, int layer, String what) {
    if (layer < 0 || layer >= model.dims().numLayers()) {
      throw new IllegalArgumentException(
          "adapter "
              + index
              + ": "
              + what
              + " is on layer "
              + layer
              + " but the model has layers [0, "
              + model.dims().numLayers()
              + ")");
    }
  }

  // writes a checked MixLoRA adapter over its place: every slot, router block and mask row of the
  // place
  private void putMix(int index, MixLora m) {
    int first = adapterSlot[index]; // the attention LoRA slot; experts follow
    int width = 1 + maxExperts;
    int mix = adapterMix[index];
    int h = model.dims().hiddenSize();
    NDIndex place = new NDIndex(first + ":" + (first + width));
    float[] scales = new float[width];
    scales[0] = (float) m.scaling();
    Arrays.fill(
        scales,
        1,
        1 + m.numExperts(),
        (float) m.expertScaling()); // slots beyond stay zero, scaling 0
    try (NDManager tmp = manager.newSubManager()) {
      for (int l = 0; l < model.dims().numLayers(); l++) {
        for (Projection p : Projection.values()) {
          int in = model.dims().inFeatures(p);
          int out = model.dims().outFeatures(p);
          float[] av = new float[width * maxRank * in];
          float[] bv = new float[width * maxRank * out];
          if (p.isFfn()) {
            for (int e = 0; e < m.numExperts(); e++) {
              LoraPair pair = m.experts().get(new MixLora.ExpertKey(l, p, e));
              if (pair != null) {
                put(av, bv, 1 + e, pair, in, out);
              }
            }
          } else {
            LoraPair pair = m.modules().get(new ModuleKey(l, p));
            if (pair != null) {
              put(av, bv, 0, pair, in, out);
            }
          }
          a[l][p.ordinal()].set(place, stored(tmp, av, new Shape(width, maxRank, in)));
          b[l][p.ordinal()].set(place, stored(tmp, bv, new Shape(width, maxRank, out)));
          doraScale[l][p.ordinal()].set(place, tmp.ones(new Shape(width, out)));
        }
        float[] router = new float[maxExperts * h];
        float[] wg = m.routers().get(l);
        if (wg != null) {
          System.arraycopy(wg, 0, router, 0, wg.length);
        }
        // routersFlat views the same memory, so both the kernel and the DJL path see the new rows
        routers[l].set(
            new NDIndex(String.valueOf(mix)), tmp.create(router, new Shape(maxExperts, h)));
      }
      float[] mask = new float[maxExperts];
      Arrays.fill(mask, m.numExperts(), maxExperts, Float.NEGATIVE_INFINITY);
      routerMask.set(new NDIndex(String.valueOf(mix)), tmp.create(mask));
      scaling.set(place, tmp.create(scales));
    }
    System.arraycopy(scales, 0, slotScaling, first, width);
    Arrays.fill(slotDora, first, first + width, false);
    Arrays.fill(slotDoraGateUp, first, first + width, false);
    mixTopK[mix] = m.topK();
    mixExperts[mix] = m.numExperts();
    adapters[index] = m;
  }

  /** Empties place {@code index} of a reserved pool: rows choosing it get the bare base model. */
  public void clear(int index) {
    put(
        index,
        index >= 0 && index < adapters.length && adapterMix[index] > 0
            ? emptyMix()
            : emptyLora(maxRank));
  }

  /**
   * The adapters by index (a reserved pool's empty LoRA/DoRA places hold an empty LoRA, its empty
   * MixLoRA places a MixLoRA with one expert and no pairs).
   */
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

  /** How A and B are kept. */
  public PoolStorage storage() {
    return storage;
  }

  /**
   * Bytes of the stacked A and B matrices (every slot, padding included): what a decode step over
   * all of the pool's adapters streams, and most of the pool's memory.
   */
  public long weightBytes() {
    long bytes = 0;
    for (int l = 0; l < a.length; l++) {
      for (int p = 0; p < a[l].length; p++) {
        if (a[l][p] != null) {
          // a bf16 pool's arrays are raw bytes: count bytes, not elements times the weight's size
          bytes += (a[l][p].size() + b[l][p].size()) * a[l][p].getDataType().getNumOfBytes();
        }
      }
    }
    return bytes;
  }

  private void stack(int l, Projection p) {
    int in = model.dims().inFeatures(p);
    int out = model.dims().outFeatures(p);
    float[] av = null;
    float[] bv = null;
    float[] mag = null;
    boolean[] doraHere =
        new boolean[slots]; // slots whose DoRA adapter has a pair on this layer's p
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
          System.arraycopy(
              d.magnitudes().get(new ModuleKey(l, p)), 0, mag, adapterSlot[i] * out, out);
          doraHere[adapterSlot[i]] = true;
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

    a[l][p.ordinal()] = stored(manager, av, new Shape(slots, maxRank, in));
    b[l][p.ordinal()] = stored(manager, bv, new Shape(slots, maxRank, out));
    if (reserved) {
      doraScale[l][p.ordinal()] = manager.ones(new Shape(slots, out)); // set per slot by put()
    } else if (mag != null) {
      doraScale[l][p.ordinal()] = doraScale(l, p, mag, doraHere, out);
    }
  }

  // DoRA: m / ‖W + s·B A‖ per output feature (row norm over the input dimension) for the slots
  // whose DoRA
  // adapter has a pair here; 1 for every other slot, a DoRA adapter's included when it leaves p
  // untouched
  // (it has no magnitude there: its factor would otherwise be 0 and wipe the projection out)
  private NDArray doraScale(int l, Projection p, float[] mag, boolean[] doraHere, int out) {
    try (NDManager tmp = manager.newSubManager()) {
      // copies in tmp, so that every intermediate (the [slots, out, in] products) dies with it
      NDArray w = model.layer(l).weight(p).duplicate();
      w.attach(tmp);
      NDArray bs = widen(b[l][p.ordinal()].get(tmp, new NDIndex(":")));
      NDArray as = widen(a[l][p.ordinal()].get(tmp, new NDIndex(":")));
      NDArray ba = bs.transpose(0, 2, 1).matMul(as); // [slots, out, in]
      NDArray norms =
          w.expandDims(0)
              .add(ba.mul(scaling.get(tmp, new NDIndex(":")).reshape(slots, 1, 1)))
              .norm(new int[] {2});
      NDArray m = tmp.create(mag, new Shape(slots, out));
      NDArray isDora = tmp.create(toFloat(doraHere)).reshape(slots, 1);
      NDArray scale = m.div(norms).mul(isDora).add(isDora.neg().add(1f)); // non-DoRA slots: 1
      scale.attach(manager);
      return scale;
    }
  }

  private static boolean doraOnGateUp(AdapterWeights w) {
    return w instanceof Dora
        && w.modules().keySet().stream()
            .anyMatch(k -> k.projection() == Projection.GATE || k.projection() == Projection.UP);
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
      throw new IllegalArgumentException(
          "adapter "
              + adapter
              + ": LoRA on layer "
              + l
              + " "
              + p.module()
              + " is ["
              + pair.out()
              + " x "
              + pair.in()
              + "] but the model's projection is ["
              + out
              + " x "
              + in
              + "]");
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

  // Weights in the pool's storage: fp32 as given, or each rounded to the nearest bf16 (ties to
  // even). DJL's
  // PyTorch JNI has no bf16 tensors (asking for one aborts the process), so bf16 weights are raw
  // bytes in a
  // UINT8 array, two per weight in the last dimension; only the host kernel and widen() read them.
  private NDArray stored(NDManager in, float[] values, Shape shape) {
    return store(in, values, shape, storage);
  }

  /** {@code values} of {@code shape} as a pool of this storage keeps them. */
  static NDArray store(NDManager in, float[] values, Shape shape, PoolStorage storage) {
    if (storage == PoolStorage.FP32) {
      return in.create(values, shape);
    }
    ByteBuffer bits =
        ByteBuffer.allocateDirect(values.length * Short.BYTES).order(ByteOrder.nativeOrder());
    for (float v : values) {
      bits.putShort(FloatConversions.floatToBf16(v));
    }
    bits.rewind();
    long[] dims = shape.getShape().clone();
    dims[dims.length - 1] *= 2;
    return in.create(bits, new Shape(dims), DataType.UINT8);
  }

  /**
   * Pool weights as fp32 (a copy of bf16 ones, the array itself otherwise), for the DJL products
   * that need it.
   */
  static NDArray widen(NDArray weights) {
    if (!PoolStorage.isBf16(weights)) {
      return weights;
    }
    ByteBuffer bits = weights.toByteBuffer().order(ByteOrder.nativeOrder());
    float[] values = new float[bits.remaining() / Short.BYTES];
    for (int i = 0; i < values.length; i++) {
      values[i] = FloatConversions.bf16ToFloat(bits.getShort());
    }
    long[] dims = weights.getShape().getShape().clone();
    dims[dims.length - 1] /= 2;
    return weights.getManager().create(values, new Shape(dims));
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
              throw new IllegalArgumentException(
                  "adapter "
                      + i
                      + ": router of layer "
                      + l
                      + " has "
                      + wg.length
                      + " values, expected ["
                      + m.numExperts()
                      + " x "
                      + h
                      + "]");
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
   * The hook of one batch: row t uses adapter {@code rowAdapter[t]} (an index into {@link
   * #adapters()}, or -1 for the bare base model). Arrays it creates live in {@code step}.
   */
  public AdapterHook bind(NDManager step, int[] rowAdapter, GroupedLora.Strategy strategy) {
    if (storage == PoolStorage.BF16
        && strategy != GroupedLora.Strategy.AUTO
        && strategy != GroupedLora.Strategy.KERNEL) {
      throw new IllegalArgumentException(
          "a bf16 pool runs the KERNEL strategy only (or AUTO), not "
              + strategy
              + ": the DJL strategies need fp32 weights");
    }
    return new BoundBatch(this, step, rowAdapter, strategy);
  }

  /**
   * True when {@link GroupedLora.Strategy#KERNEL} can run over this pool (see {@link HostKernels}).
   */
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

  boolean slotDoraGateUp(int slot) {
    return slotDoraGateUp[slot];
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
    return mixExperts[mix];
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
