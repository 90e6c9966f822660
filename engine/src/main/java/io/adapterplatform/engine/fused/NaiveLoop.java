package io.adapterplatform.engine.fused;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.model.AdapterHook;
import io.adapterplatform.engine.model.LayerWeights;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The unfused baseline, for benchmarks and as a second check of the fused path: the same pool and
 * the same results, but the work is split per adapter as a mixed-batch PEFT forward does (select
 * the rows of each adapter, apply its LoRA, put the rows back), and MixLoRA applies W2 once per
 * selected expert as the reference package does. Its number of operations grows with the number of
 * distinct adapters (and experts) in the batch; never use it in a hot path.
 */
public final class NaiveLoop implements AdapterHook {

  private final AdapterPool pool;
  private final NDManager step;
  private final int rows;
  private final Map<Integer, long[]> rowsBySlot = new LinkedHashMap<>(); // main slot → its rows
  private final int[] slotOfRow;
  private final NDArray inverse; // back to the batch's row order
  private final boolean anyMix;

  /** The baseline hook of one batch; {@code rowAdapter} as in {@link AdapterPool#bind}. */
  public static AdapterHook bind(AdapterPool pool, NDManager step, int[] rowAdapter) {
    return new NaiveLoop(pool, step, rowAdapter);
  }

  private NaiveLoop(AdapterPool pool, NDManager step, int[] rowAdapter) {
    this.pool = pool;
    this.step = step;
    this.rows = rowAdapter.length;
    slotOfRow = new int[rows];
    Map<Integer, List<Integer>> groups = new LinkedHashMap<>();
    boolean mix = false;
    for (int t = 0; t < rows; t++) {
      int slot = rowAdapter[t] < 0 ? 0 : pool.adapterSlot(rowAdapter[t]);
      mix |= rowAdapter[t] >= 0 && pool.adapterMix(rowAdapter[t]) > 0;
      slotOfRow[t] = slot;
      groups.computeIfAbsent(slot, s -> new ArrayList<>()).add(t);
    }
    anyMix = mix;
    long[] inv = new long[rows];
    int position = 0;
    for (var e : groups.entrySet()) {
      long[] idx = e.getValue().stream().mapToLong(Integer::longValue).toArray();
      rowsBySlot.put(e.getKey(), idx);
      for (long t : idx) {
        inv[(int) t] = position++;
      }
    }
    inverse = step.create(inv);
  }

  @Override
  public NDArray linear(int layer, Projection p, NDArray x, NDArray w) {
    NDArray a = pool.a(layer, p);
    if (a == null) {
      return AdapterHook.project(x, w);
    }
    NDList parts = new NDList();
    for (var e : rowsBySlot.entrySet()) { // one group per adapter: the loop the fused path avoids
      NDArray xs = x.get(new NDIndex("{}", step.create(e.getValue())));
      parts.add(perSlot(layer, p, xs, w, e.getKey()));
    }
    return (parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0))
        .get(new NDIndex("{}", inverse));
  }

  // (W + s · B A) x for one slot's rows, with its DoRA factor
  private NDArray perSlot(int layer, Projection p, NDArray xs, NDArray w, int slot) {
    NDArray y = AdapterHook.project(xs, w);
    if (slot == 0) {
      return y;
    }
    NDArray a = AdapterPool.widen(pool.a(layer, p).get(step, slot)); // [r, in]
    NDArray bt = AdapterPool.widen(pool.b(layer, p).get(step, slot)); // Bᵀ [r, out]
    y = y.add(xs.matMul(a.transpose()).matMul(bt).mul(pool.slotScaling(slot)));
    NDArray dora = pool.doraScale(layer, p);
    return dora == null || !pool.slotDora(slot) ? y : y.mul(dora.get(step, slot));
  }

  @Override
  public NDArray ffn(int layer, NDArray x, LayerWeights w) {
    if (!anyMix) {
      return AdapterHook.super.ffn(layer, x, w);
    }
    // MixLoRA as the reference package: route on the host, then for each expert its rows, W2 per
    // expert
    NDArray g = AdapterHook.project(x, w.gate());
    NDArray u = AdapterHook.project(x, w.up());
    int hidden = (int) x.getShape().get(1);
    float[] result = new float[rows * hidden];
    for (var e : rowsBySlot.entrySet()) {
      int slot = e.getKey();
      long[] idx = e.getValue();
      NDIndex sel = new NDIndex("{}", step.create(idx));
      int mix = mixOfSlot(slot);
      float[] part;
      if (mix == 0) {
        NDArray xs = x.get(sel);
        NDArray h =
            AdapterHook.silu(perSlot(layer, Projection.GATE, xs, w.gate(), slot))
                .mul(perSlot(layer, Projection.UP, xs, w.up(), slot));
        part = perSlot(layer, Projection.DOWN, h, w.down(), slot).toFloatArray();
      } else {
        part = mixRows(layer, x.get(sel), g.get(sel), u.get(sel), w, mix);
      }
      for (int i = 0; i < idx.length; i++) {
        System.arraycopy(part, i * hidden, result, (int) idx[i] * hidden, hidden);
      }
    }
    return step.create(result, x.getShape());
  }

  private int mixOfSlot(int slot) {
    for (int i = 0; i < pool.size(); i++) {
      if (pool.adapterSlot(i) == slot) {
        return pool.adapterMix(i);
      }
    }
    return 0;
  }

  private float[] mixRows(int layer, NDArray xs, NDArray g, NDArray u, LayerWeights w, int mix) {
    int n = (int) xs.getShape().get(0);
    int hidden = (int) xs.getShape().get(1);
    int experts = pool.numExperts(mix);
    int topK = pool.mixTopK(mix);
    float[] logits =
        pool.router(layer)
            .get(step, mix)
            .get(new NDIndex(":" + experts))
            .matMul(xs.transpose())
            .transpose()
            .toFloatArray(); // [n, experts]
    float[] out = new float[n * hidden];
    Map<Integer, List<float[]>> byExpert = new LinkedHashMap<>(); // expert → (row, weight)
    for (int t = 0; t < n; t++) {
      double[] p = softmax(logits, t * experts, experts);
      int[] top = topK(p, topK);
      double total = 0;
      for (int e : top) {
        total += p[e];
      }
      for (int e : top) {
        byExpert
            .computeIfAbsent(e, k -> new ArrayList<>())
            .add(new float[] {t, (float) (p[e] / total)});
      }
    }
    for (var e : byExpert.entrySet()) {
      int slot = pool.mixExpertSlot(mix) + e.getKey();
      long[] idx = e.getValue().stream().mapToLong(v -> (long) v[0]).toArray();
      NDIndex sel = new NDIndex("{}", step.create(idx));
      NDArray xe = xs.get(sel);
      NDArray h =
          AdapterHook.silu(plusDelta(g.get(sel), layer, Projection.GATE, xe, slot))
              .mul(plusDelta(u.get(sel), layer, Projection.UP, xe, slot));
      float[] y =
          plusDelta(AdapterHook.project(h, w.down()), layer, Projection.DOWN, h, slot)
              .toFloatArray();
      for (int i = 0; i < idx.length; i++) {
        float weight = e.getValue().get(i)[1];
        for (int c = 0; c < hidden; c++) {
          out[(int) idx[i] * hidden + c] += weight * y[i * hidden + c];
        }
      }
    }
    return out;
  }

  // base + s · B A x of one expert slot (an expert without this projection adds nothing)
  private NDArray plusDelta(NDArray base, int layer, Projection p, NDArray x, int slot) {
    NDArray a = pool.a(layer, p);
    if (a == null) {
      return base;
    }
    NDArray bt = AdapterPool.widen(pool.b(layer, p).get(step, slot));
    return base.add(
        x.matMul(AdapterPool.widen(a.get(step, slot)).transpose())
            .matMul(bt)
            .mul(pool.slotScaling(slot)));
  }

  private static double[] softmax(float[] v, int from, int n) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, v[from + i]);
    }
    double sum = 0;
    double[] p = new double[n];
    for (int i = 0; i < n; i++) {
      p[i] = Math.exp(v[from + i] - max);
      sum += p[i];
    }
    for (int i = 0; i < n; i++) {
      p[i] /= sum;
    }
    return p;
  }

  private static int[] topK(double[] p, int k) {
    int[] top = new int[k];
    boolean[] taken = new boolean[p.length];
    for (int j = 0; j < k; j++) {
      int best = -1;
      for (int i = 0; i < p.length; i++) {
        if (!taken[i] && (best < 0 || p[i] > p[best])) {
          best = i;
        }
      }
      taken[best] = true;
      top[j] = best;
    }
    return top;
  }
}
