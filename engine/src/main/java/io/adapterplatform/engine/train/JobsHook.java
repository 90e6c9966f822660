package io.adapterplatform.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.model.AdapterHook;
import io.adapterplatform.engine.model.LayerWeights;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The adapter hook of a fused training step: the rows of each job are one contiguous range, and
 * each range goes through its own job's adapter. The frozen base product runs once over all rows.
 * The jobs' plain LoRA terms on a projection are taken together in a fixed number of operations
 * ({@link JobsLora}); DoRA and MixLoRA experts go per job, on that job's own rows. Either way
 * autograd routes each job's loss into its own parameters only.
 */
final class JobsHook implements AdapterHook {

  /** Rows [start, end) belong to one job. */
  static final class Slice {
    final int start;
    final int end;
    final TrainableAdapter adapter;
    final RandomGenerator jitter; // null: no jitter (evaluation, or ε = 0)
    final RandomGenerator dropout; // null: no dropout (evaluation, or p = 0)
    final List<NDArray> routerLogits =
        new ArrayList<>(); // one [rows, experts] per layer, MixLoRA only

    Slice(
        int start,
        int end,
        TrainableAdapter adapter,
        RandomGenerator jitter,
        RandomGenerator dropout) {
      this.start = start;
      this.end = end;
      this.adapter = adapter;
      this.jitter = jitter;
      this.dropout = dropout;
    }

    /** This job's LoRA input on {@code rows} (its own rows of x): x after its dropout. */
    NDArray loraInput(NDArray rows) {
      return Dropout.apply(rows, adapter.dropout(), dropout);
    }

    NDArray of(NDArray rows) {
      return rows.get(new NDIndex("{}:{}", start, end));
    }
  }

  private final List<Slice> slices;
  private final boolean anyMixLora;
  private JobsLora jobsLora; // created on first use; caches the row masks for the step

  JobsHook(List<Slice> slices) {
    this.slices = List.copyOf(slices);
    this.anyMixLora = slices.stream().anyMatch(s -> s.adapter instanceof TrainableMixLora);
  }

  List<Slice> slices() {
    return slices;
  }

  @Override
  public NDArray linear(int layer, Projection p, NDArray x, NDArray w) {
    NDArray base = x.matMul(Step.transposed(w, x)); // once for every row of every job
    if (slices.stream().noneMatch(s -> s.adapter.adapts(layer, p))) {
      return base;
    }
    if (slices.size() == 1) {
      Slice s = slices.get(0);
      return s.adapter.linear(layer, p, x, s.loraInput(x), base, w);
    }
    NDArray grouped = grouped(layer, p, x, base);
    if (grouped != null) {
      return grouped;
    }
    NDList parts = new NDList(slices.size());
    for (Slice s : slices) {
      NDArray rows = s.of(base);
      if (s.adapter.adapts(layer, p)) {
        NDArray own = s.of(x);
        parts.add(s.adapter.linear(layer, p, own, s.loraInput(own), rows, w));
      } else {
        parts.add(rows);
      }
    }
    return NDArrays.concat(parts, 0);
  }

  /**
   * base + every job's LoRA term in a fixed number of operations ({@link JobsLora}), when at least
   * two jobs adapt {@code p} and each of them through a plain LoRA (no DoRA); null otherwise.
   */
  private NDArray grouped(int layer, Projection p, NDArray x, NDArray base) {
    List<JobsLora.Part> parts = new ArrayList<>(slices.size());
    long key = 0;
    for (int i = 0; i < slices.size(); i++) {
      Slice s = slices.get(i);
      if (!s.adapter.adapts(layer, p)) {
        continue;
      }
      TrainableLora lora =
          s.adapter instanceof TrainableMixLora mix ? mix.attention() : (TrainableLora) s.adapter;
      if (lora.magnitude(layer, p) != null) {
        return null; // DoRA rescales its own rows: per job
      }
      parts.add(new JobsLora.Part(s.start, s.end, lora));
      key |= 1L << i;
    }
    if (parts.size() < 2 || slices.size() > Long.SIZE) {
      return null;
    }
    if (jobsLora == null) {
      jobsLora = new JobsLora(slices.get(slices.size() - 1).end);
    }
    return base.add(
        jobsLora.delta(
            layer, p, loraInput(layer, p, x), parts, key, parts.size() == slices.size()));
  }

  /**
   * x with each adapting job's dropout on its own rows (x itself when no job drops): each job draws
   * its mask for its own rows only, as it would alone.
   */
  private NDArray loraInput(int layer, Projection p, NDArray x) {
    boolean anyDropout =
        slices.stream().anyMatch(s -> s.dropout != null && s.adapter.adapts(layer, p));
    if (!anyDropout) {
      return x;
    }
    NDList parts = new NDList(slices.size());
    for (Slice s : slices) {
      NDArray own = s.of(x);
      parts.add(s.adapter.adapts(layer, p) ? s.loraInput(own) : own);
    }
    return NDArrays.concat(parts, 0);
  }

  @Override
  public NDArray ffn(int layer, NDArray x, LayerWeights w) {
    if (!anyMixLora) {
      return AdapterHook.super.ffn(layer, x, w);
    }
    // Training-time jitter multiplies the MoE block's input (router and experts see it, as the
    // reference).
    if (slices.stream().anyMatch(s -> s.jitter != null)) {
      NDList parts = new NDList(slices.size());
      for (Slice s : slices) {
        parts.add(s.jitter == null ? s.of(x) : RouterJitter.apply(s.of(x), jitterOf(s), s.jitter));
      }
      x = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0);
    }
    NDArray g = linear(layer, Projection.GATE, x, w.gate());
    NDArray u = linear(layer, Projection.UP, x, w.up());
    boolean anyDense = slices.stream().anyMatch(s -> !(s.adapter instanceof TrainableMixLora));
    NDArray dense =
        anyDense ? linear(layer, Projection.DOWN, AdapterHook.silu(g).mul(u), w.down()) : null;
    NDList parts = new NDList(slices.size());
    for (Slice s : slices) {
      if (s.adapter instanceof TrainableMixLora mix) {
        parts.add(mix.ffn(layer, s.of(x), s.of(g), s.of(u), w, s.routerLogits, s.dropout));
      } else {
        parts.add(s.of(dense));
      }
    }
    return parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0);
  }

  private static float jitterOf(Slice s) {
    return s.adapter instanceof TrainableMixLora mix ? mix.spec().jitterNoise() : 0f;
  }
}
