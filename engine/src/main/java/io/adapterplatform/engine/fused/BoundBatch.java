package io.adapterplatform.engine.fused;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.model.AdapterHook;
import io.adapterplatform.engine.model.LayerWeights;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The adapter hook of one batch over an {@link AdapterPool}: the per-row index arrays are built
 * once here (host side) and reused by every layer. No method loops over adapters: each projection
 * is the base GEMM plus one {@link GroupedLora#delta}, each MixLoRA FFN one routing plus three
 * grouped deltas.
 */
final class BoundBatch implements AdapterHook {

  private final AdapterPool pool;
  private final NDManager step;
  private final GroupedLora.Strategy strategy;
  private final int rows;
  private final long[] slotHost;
  private final NDArray slot; // [rows] main slot
  private final GroupedLora.Rows mainRows;
  private final boolean anyAdapter;
  private final boolean anyDora;
  private final boolean anyDoraGateUp; // a row's DoRA has a factor on gate or up
  private final boolean anyMix;
  // MixLoRA pairs (row, k): rows·K of them, K = the pool's largest top_k
  private final int k;
  // host side, per row: its MixLoRA index (0: none), that adapter's experts, top_k and first expert
  // slot
  private int[] rowMix;
  private int[] rowExperts;
  private int[] rowTopK;
  private long[] rowPairBase;
  private long[] mixHost;
  private float[] kMaskHost;
  private long[] lastExpertHost;
  private long[] localBaseHost;
  // device side, created on first use by the DJL strategies (the kernel routes on the host)
  private NDArray
      routeIndex; // [rows, 1, E]: the row's router block among every pool router's logits
  private NDArray routeMask; // [rows, E]: 0 for the row's real experts, -inf beyond
  private NDArray kMask; // [rows, K] 1 for the row's own top_k, 0 beyond
  private NDArray pairBase; // [rows·K] first expert slot (MixLoRA) or main slot
  private NDArray pairLastExpert; // [rows·K] the row's last expert (0 without MixLoRA)
  private NDArray pairLocalBase; // [rows·K] index of pairBase within pairDistinct
  private long[] pairDistinct;

  BoundBatch(AdapterPool pool, NDManager step, int[] rowAdapter, GroupedLora.Strategy strategy) {
    this.pool = pool;
    this.step = step;
    this.strategy = strategy;
    this.rows = rowAdapter.length;
    slotHost = new long[rows];
    float[] coefHost = new float[rows];
    boolean any = false;
    boolean dora = false;
    boolean doraGateUp = false;
    boolean mix = false;
    for (int t = 0; t < rows; t++) {
      int adapter = rowAdapter[t];
      if (adapter < -1 || adapter >= pool.size()) {
        throw new IllegalArgumentException(
            "row " + t + " asks for adapter " + adapter + " but the pool holds " + pool.size());
      }
      if (adapter >= 0) {
        long s = pool.adapterSlot(adapter);
        slotHost[t] = s;
        coefHost[t] = pool.slotScaling((int) s);
        any = true;
        dora |= pool.slotDora((int) s);
        doraGateUp |= pool.slotDoraGateUp((int) s);
        mix |= pool.adapterMix(adapter) > 0;
      }
    }
    anyAdapter = any;
    anyDora = dora;
    anyDoraGateUp = doraGateUp;
    anyMix = mix;
    slot = step.create(slotHost);
    mainRows =
        any
            ? GroupedLora.Rows.ofHost(step, slotHost, coefHost, strategy, pool.kernelUsable())
            : null;
    k = anyMix ? pool.maxTopK() : 1;
    if (anyMix) {
      preparePairs(rowAdapter);
    }
  }

  private void preparePairs(int[] rowAdapter) {
    mixHost = new long[rows];
    rowMix = new int[rows];
    rowExperts = new int[rows];
    rowTopK = new int[rows];
    rowPairBase = new long[rows];
    kMaskHost = new float[rows * k];
    lastExpertHost = new long[rows * k];
    localBaseHost = new long[rows * k];
    Map<Long, Integer> index = new LinkedHashMap<>();
    for (int t = 0; t < rows; t++) {
      int adapter = rowAdapter[t];
      int m = adapter >= 0 ? pool.adapterMix(adapter) : 0;
      mixHost[t] = m;
      rowMix[t] = m;
      int topK = m > 0 ? pool.mixTopK(m) : 1;
      rowTopK[t] = topK;
      long b;
      if (m > 0) {
        // the experts of one MixLoRA adapter are consecutive slots: index them consecutively too
        b = pool.mixExpertSlot(m);
        int experts = pool.numExperts(m);
        rowExperts[t] = experts;
        if (!index.containsKey(b)) {
          for (int e = 0; e < experts; e++) {
            index.put(b + e, index.size());
          }
        }
      } else {
        b = slotHost[t];
        rowExperts[t] = 1;
        index.computeIfAbsent(b, x -> index.size());
      }
      rowPairBase[t] = b;
      for (int j = 0; j < k; j++) {
        kMaskHost[t * k + j] = j < topK ? 1f : 0f;
        lastExpertHost[t * k + j] = rowExperts[t] - 1;
        localBaseHost[t * k + j] = index.get(b);
      }
    }
    pairDistinct = index.keySet().stream().mapToLong(Long::longValue).toArray();
  }

  private void preparePairArrays() {
    if (routeIndex != null) {
      return;
    }
    NDArray mixIndex = step.create(mixHost);
    int experts = pool.maxExperts();
    long[] route = new long[rows * experts];
    long[] base = new long[rows * k];
    for (int t = 0; t < rows; t++) {
      java.util.Arrays.fill(route, t * experts, (t + 1) * experts, mixHost[t]);
      java.util.Arrays.fill(base, t * k, (t + 1) * k, rowPairBase[t]);
    }
    routeIndex = step.create(route, new Shape(rows, 1, experts));
    routeMask = pool.routerMask().get(step, new NDIndex("{}", mixIndex));
    kMask = step.create(kMaskHost, new Shape(rows, k));
    pairBase = step.create(base);
    pairLastExpert = step.create(lastExpertHost);
    pairLocalBase = step.create(localBaseHost);
  }

  @Override
  public NDArray linear(int layer, Projection p, NDArray x, NDArray w) {
    NDArray y = AdapterHook.project(x, w);
    NDArray a = pool.a(layer, p);
    if (!anyAdapter || a == null) {
      return y;
    }
    y = GroupedLora.addDelta(step, y, x, a, pool.b(layer, p), mainRows);
    return doraRescale(y, layer, p, slot);
  }

  private NDArray doraRescale(NDArray y, int layer, Projection p, NDArray slots) {
    NDArray scale = pool.doraScale(layer, p);
    if (!anyDora || scale == null) {
      return y;
    }
    return y.mul(scale.get(step, new NDIndex("{}", slots))); // m / ‖W + sBA‖ per row's slot
  }

  @Override
  public NDArray ffn(int layer, NDArray x, LayerWeights w) {
    if (!anyMix) {
      return AdapterHook.super.ffn(layer, x, w);
    }
    if (strategy.resolve(pairDistinct.length, pool.kernelUsable()) == GroupedLora.Strategy.KERNEL) {
      return kernelFfn(layer, x, w);
    }
    // MixLoRA eq.: p = softmax(Wg x), top-k renormalised; W1 x and W3 x once; W2 once on Σ w_j h_j
    // every pool router in one GEMM, then each row's own block: no per-row copy of router weights
    preparePairArrays();
    int experts = pool.maxExperts();
    NDArray logits =
        AdapterHook.project(x, pool.routerFlat(layer))
            .reshape(rows, pool.mixCount() + 1, experts)
            .gather(routeIndex, 1)
            .reshape(rows, experts)
            .add(routeMask); // [rows, E]
    NDArray probs = logits.softmax(-1);
    NDList top = probs.topK(k, -1, true, true);
    NDArray weights = top.get(0).mul(kMask);
    weights = weights.div(weights.sum(new int[] {1}, true)); // [rows, K]
    // a row with fewer experts than K also gets choices beyond its own (masked, weight 0): keep
    // them on its
    // last expert, or their slots would run into the next adapter's or past the pool; rows without
    // MixLoRA: 0
    NDArray expert =
        top.get(1).toType(DataType.INT64, false).reshape(rows * (long) k).minimum(pairLastExpert);
    NDArray pairSlot = pairBase.add(expert); // [rows·K]
    NDArray pairLocal = pairLocalBase.add(expert);
    NDArray pairCoef = pool.scaling().get(step, new NDIndex("{}", pairSlot));
    GroupedLora.Rows pairs =
        GroupedLora.Rows.of(step, pairSlot, pairCoef, pairDistinct, pairLocal, strategy);
    NDArray xr = k == 1 ? x : x.repeat(0, k); // [rows·K, hidden]
    NDArray g = pairProjection(layer, Projection.GATE, x, xr, w.gate(), pairSlot, pairs);
    NDArray u = pairProjection(layer, Projection.UP, x, xr, w.up(), pairSlot, pairs);
    long inter = g.getShape().get(1);
    NDArray hw = AdapterHook.silu(g).mul(u).mul(weights.reshape(rows * (long) k, 1)); // w_j h_j
    NDArray hSum = k == 1 ? hw : hw.reshape(rows, k, inter).sum(new int[] {1}); // Σ_j w_j h_j
    NDArray out = AdapterHook.project(hSum, w.down());
    NDArray a = pool.a(layer, Projection.DOWN);
    if (a != null) {
      NDArray d =
          GroupedLora.delta(
              step, hw, a, pool.b(layer, Projection.DOWN), pairs); // ΔW2_{e_j} (w_j h_j)
      out = out.add(k == 1 ? d : d.reshape(rows, k, d.getShape().get(1)).sum(new int[] {1}));
    }
    return doraRescale(out, layer, Projection.DOWN, slot);
  }

  // The same FFN with the host kernel: W1 x and W3 x once per row (GEMMs), every pair's expert
  // terms, SwiGLU,
  // routing weight and the sum over a row's experts in one kernel pass that never writes a [pairs,
  // inter]
  // array, W2 once on Σ_j w_j h_j, then each pair's ΔW2 added into its row. The routing is done on
  // the host,
  // from logits of each row's own router only (not every router of the pool), instead of a dozen
  // small
  // libtorch operations that cost more than their arithmetic at decode sizes.
  private NDArray kernelFfn(int layer, NDArray x, LayerWeights w) {
    long[] pairSlot = new long[rows * k];
    float[] pairCoef = new float[rows * k];
    float[] weights = new float[rows * k];
    routeOnHost(
        HostLoraKernel.routerLogits(x, pool.router(layer), rowMix), pairSlot, pairCoef, weights);
    KernelPlan pairs = KernelPlan.weightedPairs(pairSlot, pairCoef, k, weights);
    NDArray baseG = AdapterHook.project(x, w.gate());
    NDArray baseU = AdapterHook.project(x, w.up());
    NDArray hSum = step.zeros(baseG.getShape());
    NDArray aDown = pool.a(layer, Projection.DOWN);
    float[] downA =
        HostLoraKernel.mixFfn(
            hSum,
            baseG,
            baseU,
            x,
            pool.a(layer, Projection.GATE),
            pool.b(layer, Projection.GATE),
            pool.a(layer, Projection.UP),
            pool.b(layer, Projection.UP),
            aDown,
            pairs,
            weights,
            !anyDoraGateUp
                ? null
                : new HostLoraKernel.DoraFactors(
                    pool.doraScale(layer, Projection.GATE),
                    pool.doraScale(layer, Projection.UP),
                    pool::slotDoraGateUp));
    NDArray out = AdapterHook.project(hSum, w.down());
    if (downA != null) {
      HostLoraKernel.expandAll(out, pool.b(layer, Projection.DOWN), pairs.intoTheirRows(), downA);
    }
    return doraRescale(out, layer, Projection.DOWN, slot);
  }

  /**
   * Pairs from each row's own router logits [rows, maxExperts]: softmax over the row's own experts,
   * its top_k of them with weights renormalised to sum 1 (in float64). Unused choices (a row whose
   * top_k is below the batch's k, a row without MixLoRA beyond its first pair) get weight and
   * coefficient 0, so that the kernel skips their adapter terms. A row without MixLoRA keeps one
   * pair of weight 1 on its own slot: its plain LoRA on the FFN projections, if any.
   */
  private void routeOnHost(float[] logits, long[] pairSlot, float[] pairCoef, float[] weights) {
    double[] prob = new double[pool.maxExperts()];
    boolean[] taken = new boolean[pool.maxExperts()];
    int[] picked = new int[pool.maxExperts()];
    for (int t = 0; t < rows; t++) {
      int m = rowMix[t];
      int first = t * k;
      if (m == 0) {
        java.util.Arrays.fill(pairSlot, first, first + k, rowPairBase[t]);
        pairCoef[first] = pool.slotScaling((int) rowPairBase[t]);
        weights[first] = 1f;
        continue;
      }
      int experts = rowExperts[t];
      int offset = t * pool.maxExperts();
      double max = Double.NEGATIVE_INFINITY;
      for (int e = 0; e < experts; e++) {
        max = Math.max(max, logits[offset + e]);
      }
      for (int e = 0; e < experts; e++) {
        prob[e] =
            Math.exp(
                logits[offset + e] - max); // unnormalised: the top-k renormalisation cancels it
        taken[e] = false;
      }
      int topK = Math.min(rowTopK[t], experts);
      double chosen = 0;
      for (int j = 0; j < topK; j++) {
        int best = -1;
        for (int e = 0; e < experts; e++) {
          if (!taken[e] && (best < 0 || prob[e] > prob[best])) {
            best = e;
          }
        }
        taken[best] = true;
        picked[j] = best;
        chosen += prob[best];
      }
      for (int j = 0; j < topK; j++) {
        long expertSlot = rowPairBase[t] + picked[j];
        pairSlot[first + j] = expertSlot;
        pairCoef[first + j] = pool.slotScaling((int) expertSlot);
        weights[first + j] =
            (float) (prob[picked[j]] / chosen); // softmax, then renormalised over top_k
      }
      java.util.Arrays.fill(pairSlot, first + topK, first + k, pairSlot[first]);
    }
  }

  // W x once for all rows, repeated per pair, plus each pair's delta (and DoRA factor of the pair's
  // slot)
  private NDArray pairProjection(
      int layer,
      Projection p,
      NDArray x,
      NDArray xr,
      NDArray w,
      NDArray pairSlot,
      GroupedLora.Rows pairs) {
    NDArray base = AdapterHook.project(x, w);
    NDArray y = k == 1 ? base : base.repeat(0, k);
    NDArray a = pool.a(layer, p);
    if (a == null) {
      return y;
    }
    y = GroupedLora.addDelta(step, y, xr, a, pool.b(layer, p), pairs);
    return doraRescale(y, layer, p, pairSlot);
  }
}
