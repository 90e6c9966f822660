package io.adapterplatform.engine.fused;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * The host side of one grouped delta for {@link HostLoraKernel}: the pairs that have an adapter
 * (slot ≠ 0 and a non-zero scaling), ordered by slot so that pairs sharing an adapter run back to back,
 * each with the row it reads and the row it adds into. Built once per batch and shared by every layer.
 */
final class KernelPlan {

    private final long[] slot;
    private final float[] coef;
    private final int[] inRow;
    private final int[] outRow;

    private KernelPlan(long[] slot, float[] coef, int[] inRow, int[] outRow) {
        this.slot = slot;
        this.coef = coef;
        this.inRow = inRow;
        this.outRow = outRow;
    }

    /** Pairs p = 0..n-1 with slot {@code slot[p]} and scaling {@code coef[p]}, reading and writing row p. */
    static KernelPlan of(long[] slot, float[] coef) {
        int[] rows = IntStream.range(0, slot.length).toArray();
        return of(slot, coef, rows, rows);
    }

    /** Pairs that read row {@code inRow[p]} and add into row {@code outRow[p]}. */
    static KernelPlan of(long[] slot, float[] coef, int[] inRow, int[] outRow) {
        return of(slot, coef, inRow, outRow, false);
    }

    /**
     * Every MixLoRA pair (row t, choice j) at p = t·k + j, those without an adapter included (they still
     * need their base values): reads row t, writes pair row p.
     */
    static KernelPlan everyPair(long[] slot, float[] coef, int k) {
        int[] self = IntStream.range(0, slot.length).toArray();
        return of(slot, coef, Arrays.stream(self).map(p -> p / k).toArray(), self, true);
    }

    private static KernelPlan of(long[] slot, float[] coef, int[] inRow, int[] outRow, boolean keepBare) {
        Integer[] order = IntStream.range(0, slot.length)
                .filter(p -> keepBare || slot[p] != 0 && coef[p] != 0f)
                .boxed()
                .sorted(Comparator.comparingLong((Integer p) -> slot[p]).thenComparingInt(p -> p))
                .toArray(Integer[]::new);
        int n = order.length;
        long[] s = new long[n];
        float[] c = new float[n];
        int[] in = new int[n];
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int p = order[i];
            s[i] = slot[p];
            c[i] = coef[p];
            in[i] = inRow[p];
            out[i] = outRow[p];
        }
        return new KernelPlan(s, c, in, out);
    }

    /**
     * MixLoRA pairs (row t, choice j) at p = t·k + j for the down projection: each reads pair row p and adds
     * into row t (the sum over a row's experts, by linearity).
     */
    static KernelPlan intoRows(long[] slot, float[] coef, int k) {
        int[] self = IntStream.range(0, slot.length).toArray();
        return of(slot, coef, self, Arrays.stream(self).map(p -> p / k).toArray());
    }

    int size() {
        return slot.length;
    }

    long slot(int i) {
        return slot[i];
    }

    /** True when pair i has an adapter delta (plans from {@link #everyPair} also hold pairs without). */
    boolean hasAdapter(int i) {
        return slot[i] != 0 && coef[i] != 0f;
    }

    float coef(int i) {
        return coef[i];
    }

    int inRow(int i) {
        return inRow[i];
    }

    int outRow(int i) {
        return outRow[i];
    }
}
