package io.adapterplatform.engine.fused;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * The grouped LoRA delta over a stacked pool: every row n gets {@code coef[n] · B_{slot[n]} A_{slot[n]} x_n}
 * in a fixed number of DJL operations, whatever the number of distinct adapters (the BGMV/SGMV idea).
 *
 * <p>Two exact strategies:
 * <ul>
 *   <li>{@link Strategy#GATHER}: gather each row's A and B ([rows, r, in], [rows, out, r]) and run two
 *       batched matmuls. Memory ~ rows × adapter size; best when nearly every row has its own adapter.</li>
 *   <li>{@link Strategy#DISTINCT}: gather the D distinct adapters once, one GEMM x·[A_1..A_D]ᵀ → [rows, D·r],
 *       zero every slice but the row's own (one-hot mask, scaled by coef), one GEMM with [B_1..B_D] →
 *       [rows, out]. Compute ~ rows·D·r·(in+out); best when D ≪ rows.</li>
 * </ul>
 * Both use only differentiable NDArray operations, so stacked adapter parameters receive gradients.
 */
public final class GroupedLora {

    /** How the grouped delta is computed; both give the same result up to float rounding. */
    public enum Strategy {
        /** {@link #DISTINCT} when there are at most {@link #distinctMax()} distinct adapters, else GATHER. */
        AUTO,
        /** Per-row gather of A and B, batched matmuls. */
        GATHER,
        /** One GEMM over the distinct adapters, masked to each row's own slice. */
        DISTINCT;

        /** The concrete strategy for {@code distinct} adapters. */
        public Strategy resolve(int distinct) {
            if (this != AUTO) {
                return this;
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

    private GroupedLora() {
    }

    /**
     * Rows' deltas [rows, out].
     *
     * @param x input rows [rows, in]
     * @param a pool of A [slots, r, in]
     * @param b pool of B [slots, out, r]
     * @param slot each row's slot [rows] (int64)
     * @param coef each row's scaling [rows] (0 for rows without an adapter)
     * @param distinct the distinct slots that rows use (host side), for {@link Strategy#DISTINCT}
     * @param local each row's index into {@code distinct} [rows] (int64), for {@link Strategy#DISTINCT}
     * @param strategy GATHER or DISTINCT (AUTO is resolved by the caller from {@code distinct.length})
     */
    public static NDArray delta(NDManager step, NDArray x, NDArray a, NDArray b, NDArray slot, NDArray coef,
                                long[] distinct, NDArray local, Strategy strategy) {
        long rows = x.getShape().get(0);
        long rank = a.getShape().get(1);
        return switch (strategy.resolve(distinct.length)) {
            case GATHER -> {
                NDIndex bySlot = new NDIndex("{}", slot);
                // [rows, r, in] · [rows, in, 1] → [rows, r, 1], scaled per row before expanding
                NDArray xa = a.get(step, bySlot).matMul(x.expandDims(2)).mul(coef.reshape(rows, 1, 1));
                yield b.get(step, bySlot).matMul(xa).squeeze(2); // [rows, out, r] · [rows, r, 1]
            }
            case DISTINCT -> {
                int d = distinct.length;
                NDIndex byDistinct = new NDIndex("{}", step.create(distinct));
                long in = a.getShape().get(2);
                long out = b.getShape().get(1);
                NDArray aCat = a.get(step, byDistinct).reshape(d * rank, in);                           // [D·r, in]
                NDArray bCat = b.get(step, byDistinct).transpose(1, 0, 2).reshape(out, d * rank);       // [out, D·r]
                NDArray xa = x.matMul(aCat.transpose()).reshape(rows, d, rank);                   // [rows, D, r]
                NDArray mask = local.expandDims(1).eq(step.create(iota(d)))
                        .toType(DataType.FLOAT32, false).mul(coef.expandDims(1));                // [rows, D]
                yield xa.mul(mask.expandDims(2)).reshape(rows, d * rank).matMul(bCat.transpose());
            }
            case AUTO -> throw new IllegalStateException("resolved above");
        };
    }

    private static long[] iota(int n) {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = i;
        }
        return v;
    }
}
