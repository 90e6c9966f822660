package io.adapterplatform.engine.fused;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * The grouped LoRA delta over a stacked pool: every row n gets {@code coef[n] · B_{slot[n]}
 * A_{slot[n]} x_n} in a fixed number of DJL operations, whatever the number of distinct adapters
 * (the BGMV/SGMV idea).
 *
 * <p>Three exact strategies:
 *
 * <ul>
 *   <li>{@link Strategy#GATHER}: gather each row's A and B ([rows, r, in], [rows, out, r]) and run
 *       two batched matmuls. Memory ~ rows × adapter size; best when nearly every row has its own
 *       adapter.
 *   <li>{@link Strategy#DISTINCT}: gather the D distinct adapters once, one GEMM x·[A_1..A_D]ᵀ →
 *       [rows, D·r], zero every slice but the row's own (one-hot mask, scaled by coef), one GEMM
 *       with [B_1..B_D] → [rows, out]. Compute ~ rows·D·r·(in+out); best when D ≪ rows.
 *   <li>{@link Strategy#KERNEL}: {@link HostLoraKernel}, one CPU kernel that reads each row's A and
 *       Bᵀ where the pool keeps them and adds the delta into the base product in place: the
 *       distinct adapters' bytes once, no copies, no wasted products. CPU, fp32, inference only.
 * </ul>
 *
 * GATHER and DISTINCT use only differentiable NDArray operations, so stacked adapter parameters
 * receive gradients; KERNEL is invisible to autograd and is chosen only for arrays that need none.
 */
public final class GroupedLora {

  /** How the grouped delta is computed; both give the same result up to float rounding. */
  public enum Strategy {
    /**
     * {@link #KERNEL} where it can run (CPU, fp32, no gradients, Vector API present); otherwise
     * {@link #DISTINCT} when there are at most {@link #distinctMax()} distinct adapters, else
     * GATHER.
     */
    AUTO,
    /** Per-row gather of A and B, batched matmuls. */
    GATHER,
    /** One GEMM over the distinct adapters, masked to each row's own slice. */
    DISTINCT,
    /** The host kernel over the pool's memory ({@link HostLoraKernel}). */
    KERNEL;

    /** The concrete strategy for {@code distinct} adapters when the kernel cannot run. */
    public Strategy resolve(int distinct) {
      return resolve(distinct, false);
    }

    /**
     * The concrete strategy for {@code distinct} adapters; {@code kernelUsable} says whether KERNEL
     * can run.
     */
    public Strategy resolve(int distinct, boolean kernelUsable) {
      if (this == KERNEL && !kernelUsable) {
        throw new IllegalArgumentException(
            "the KERNEL strategy needs fp32 CPU arrays without gradients and "
                + "a JVM started with --add-modules jdk.incubator.vector");
      }
      if (this != AUTO) {
        return this;
      }
      if (kernelUsable) {
        return KERNEL;
      }
      return distinct <= distinctMax() ? DISTINCT : GATHER;
    }

    /**
     * Threshold of {@link #AUTO}, from system property {@code adapterplatform.fused.distinct-max}
     * (default 16: on a CPU with ~140 GFLOP/s and ~20 GB/s, gathering per-row copies costs about as
     * much as computing ~28 extra adapters' products).
     */
    public static int distinctMax() {
      return Integer.getInteger("adapterplatform.fused.distinct-max", 16);
    }
  }

  private GroupedLora() {}

  /**
   * The per-row index arrays of one batch, built once and shared by every projection that uses the
   * same rows (all projections of a batch, or gate/up/down of one MixLoRA layer).
   */
  public static final class Rows {
    private final Strategy strategy;
    private final long rows;
    private final NDIndex bySlot; // GATHER
    private final NDArray coef3; // [rows, 1, 1]
    private final int d; // DISTINCT
    private final NDIndex byDistinct;
    private final NDArray mask3; // [rows, D, 1]: coef on the row's own adapter, 0 elsewhere
    private final long uniformSlot; // ≥ 0: every row has this slot and the same coef
    private final float uniformCoef;
    private KernelPlan plan; // KERNEL

    private Rows(
        Strategy strategy,
        long rows,
        NDIndex bySlot,
        NDArray coef3,
        int d,
        NDIndex byDistinct,
        NDArray mask3,
        long uniformSlot,
        float uniformCoef) {
      this.strategy = strategy;
      this.rows = rows;
      this.bySlot = bySlot;
      this.coef3 = coef3;
      this.d = d;
      this.byDistinct = byDistinct;
      this.mask3 = mask3;
      this.uniformSlot = uniformSlot;
      this.uniformCoef = uniformCoef;
    }

    /**
     * Index arrays for rows whose slots may be known only on the device (MixLoRA routing).
     *
     * @param slot each row's slot [rows] (int64)
     * @param coef each row's scaling [rows] (0 for rows without an adapter)
     * @param distinct the slots rows may use (host side)
     * @param local each row's index into {@code distinct} [rows] (int64)
     * @param strategy AUTO is resolved from {@code distinct.length}
     */
    public static Rows of(
        NDManager step,
        NDArray slot,
        NDArray coef,
        long[] distinct,
        NDArray local,
        Strategy strategy) {
      return of(step, slot, coef, distinct, local, strategy, false, -1, 0f);
    }

    /**
     * The kernel's rows: {@code plan} says which row reads, which row it adds into, and its slot.
     */
    static Rows ofKernel(long rows, KernelPlan plan) {
      Rows r = new Rows(Strategy.KERNEL, rows, null, null, 0, null, null, -1, 0f);
      r.plan = plan;
      return r;
    }

    /**
     * Index arrays for rows whose slots are known on the host; when every row uses the same adapter
     * with the same scaling the delta is a plain LoRA product (fewest operations).
     */
    public static Rows ofHost(NDManager step, long[] slot, float[] coef, Strategy strategy) {
      return ofHost(step, slot, coef, strategy, false);
    }

    /**
     * As {@link #ofHost(NDManager, long[], float[], Strategy)}, resolving AUTO to KERNEL where it
     * can run.
     */
    public static Rows ofHost(
        NDManager step, long[] slot, float[] coef, Strategy strategy, boolean kernelUsable) {
      if (strategy.resolve(slot.length, kernelUsable) == Strategy.KERNEL) {
        return ofKernel(slot.length, KernelPlan.of(slot, coef));
      }
      java.util.Map<Long, Integer> index = new java.util.LinkedHashMap<>();
      long[] local = new long[slot.length];
      boolean uniform = slot.length > 0 && slot[0] != 0;
      for (int t = 0; t < slot.length; t++) {
        local[t] = index.computeIfAbsent(slot[t], x -> index.size());
        uniform &= slot[t] == slot[0] && coef[t] == coef[0];
      }
      long[] distinct = index.keySet().stream().mapToLong(Long::longValue).toArray();
      return of(
          step,
          step.create(slot),
          step.create(coef),
          distinct,
          step.create(local),
          strategy,
          false,
          uniform ? slot[0] : -1,
          uniform ? coef[0] : 0f);
    }

    private static Rows of(
        NDManager step,
        NDArray slot,
        NDArray coef,
        long[] distinct,
        NDArray local,
        Strategy strategy,
        boolean kernelUsable,
        long uniformSlot,
        float uniformCoef) {
      long rows = slot.getShape().get(0);
      Strategy s = strategy.resolve(distinct.length, kernelUsable);
      if (s == Strategy.KERNEL) {
        return ofKernel(rows, KernelPlan.of(slot.toLongArray(), coef.toFloatArray()));
      }
      if (uniformSlot >= 0) {
        return new Rows(s, rows, null, null, 1, null, null, uniformSlot, uniformCoef);
      }
      if (s == Strategy.GATHER) {
        return new Rows(
            s, rows, new NDIndex("{}", slot), coef.reshape(rows, 1, 1), 0, null, null, -1, 0f);
      }
      int d = distinct.length;
      NDArray mask =
          local
              .expandDims(1)
              .eq(step.create(iota(d)))
              .toType(DataType.FLOAT32, false)
              .mul(coef.expandDims(1))
              .expandDims(2); // [rows, D, 1]
      return new Rows(
          s, rows, null, null, d, new NDIndex("{}", step.create(distinct)), mask, -1, 0f);
    }
  }

  /**
   * Rows' deltas [rows, out]: {@code coef[n] · B_{slot[n]} A_{slot[n]} x_n}.
   *
   * @param x input rows [rows, in]
   * @param a pool of A [slots, r, in]
   * @param b pool of Bᵀ [slots, r, out]
   */
  public static NDArray delta(NDManager step, NDArray x, NDArray a, NDArray b, Rows r) {
    if (r.strategy == Strategy.KERNEL) {
      NDArray y = step.zeros(new ai.djl.ndarray.types.Shape(r.rows, b.getShape().get(2)));
      HostLoraKernel.addInto(y, x, a, b, r.plan);
      return y;
    }
    long rank = a.getShape().get(1);
    if (r.uniformSlot >= 0) {
      // one adapter for every row: plain LoRA, s · (x Aᵀ) Bᵀ
      NDArray xa =
          io.adapterplatform.engine.model.AdapterHook.project(x, a.get(step, r.uniformSlot))
              .mul(r.uniformCoef);
      return xa.matMul(b.get(step, r.uniformSlot));
    }
    return switch (r.strategy) {
      case GATHER -> {
        // [rows, 1, in] · [rows, in, r] → [rows, 1, r], scaled per row, then · Bᵀ [rows, r, out]
        NDArray xa = x.expandDims(1).matMul(a.get(step, r.bySlot).transpose(0, 2, 1)).mul(r.coef3);
        yield xa.matMul(b.get(step, r.bySlot)).squeeze(1);
      }
      case DISTINCT -> {
        long in = a.getShape().get(2);
        long out = b.getShape().get(2);
        NDArray aCat = a.get(step, r.byDistinct).reshape(r.d * rank, in); // [D·r, in]
        NDArray bCat = b.get(step, r.byDistinct).reshape(r.d * rank, out); // [D·r, out]
        NDArray xa =
            x.matMul(aCat.transpose()).reshape(r.rows, r.d, rank).mul(r.mask3); // own slice only
        yield xa.reshape(r.rows, r.d * rank).matMul(bCat);
      }
      case KERNEL, AUTO -> throw new IllegalStateException("resolved when the rows were indexed");
    };
  }

  /**
   * {@code y + delta}: for KERNEL rows the delta is added into y in place (y must be a fresh
   * contiguous array this caller owns, such as the base product just computed), otherwise a new
   * array.
   */
  public static NDArray addDelta(
      NDManager step, NDArray y, NDArray x, NDArray a, NDArray b, Rows r) {
    if (r.strategy == Strategy.KERNEL) {
      HostLoraKernel.addInto(y, x, a, b, r.plan);
      return y;
    }
    return y.add(delta(step, x, a, b, r));
  }

  private static long[] iota(int n) {
    long[] v = new long[n];
    for (int i = 0; i < n; i++) {
      v[i] = i;
    }
    return v;
  }
}
