package io.adapterplatform.engine.fused;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * The host side of one grouped delta for {@link HostLoraKernel}: the pairs that have an adapter
 * (slot ≠ 0 and a non-zero scaling), ordered by slot so that pairs sharing an adapter run back to
 * back, each with the row it reads and the row it adds into. Built once per batch and shared by
 * every layer.
 */
final class KernelPlan {

  private final long[] slot;
  private final float[] coef;
  private final int[] inRow;
  private final int[] outRow;
  private Boolean
      streamsEachPairWhole; // derived on first use, then reused by every layer sharing the plan

  private KernelPlan(long[] slot, float[] coef, int[] inRow, int[] outRow) {
    this.slot = slot;
    this.coef = coef;
    this.inRow = inRow;
    this.outRow = outRow;
  }

  private static boolean distinct(int[] rows) {
    int max = -1;
    for (int row : rows) {
      max = Math.max(max, row);
    }
    boolean[] seen = new boolean[max + 1];
    for (int row : rows) {
      if (seen[row]) {
        return false;
      }
      seen[row] = true;
    }
    return true;
  }

  /**
   * Pairs p = 0..n-1 with slot {@code slot[p]} and scaling {@code coef[p]}, reading and writing row
   * p.
   */
  static KernelPlan of(long[] slot, float[] coef) {
    int[] rows = identity(slot.length);
    return of(slot, coef, rows, rows);
  }

  /** Pairs that read row {@code inRow[p]} and add into row {@code outRow[p]}. */
  static KernelPlan of(long[] slot, float[] coef, int[] inRow, int[] outRow) {
    return of(slot, coef, inRow, outRow, p -> slot[p] != 0 && coef[p] != 0f);
  }

  // Plain loops and a primitive sort on (slot, p) packed in one long: this runs per layer and
  // batch, so no
  // boxing and no stream pipeline whose JIT profile other callers share.
  private static KernelPlan of(
      long[] slot, float[] coef, int[] inRow, int[] outRow, IntPredicate keep) {
    long[] order = new long[slot.length];
    int n = 0;
    for (int p = 0; p < slot.length; p++) {
      if (keep.test(p)) {
        order[n++] = slot[p] << 32 | p;
      }
    }
    Arrays.sort(order, 0, n);
    long[] s = new long[n];
    float[] c = new float[n];
    int[] in = new int[n];
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      int p = (int) order[i];
      s[i] = slot[p];
      c[i] = coef[p];
      in[i] = inRow[p];
      out[i] = outRow[p];
    }
    return new KernelPlan(s, c, in, out);
  }

  /**
   * The MixLoRA pairs p = t·k + j whose routing weight is not zero (those without an adapter
   * included: they still carry their row's base FFN), for {@link HostLoraKernel#mixFfn}: each reads
   * row t (in row) and names its weight p (out row).
   */
  static KernelPlan weightedPairs(long[] slot, float[] coef, int k, float[] weights) {
    int[] self = identity(slot.length);
    int[] row = new int[slot.length];
    for (int p = 0; p < row.length; p++) {
      row[p] = p / k;
    }
    return of(slot, coef, row, self, p -> weights[p] != 0f);
  }

  private static int[] identity(int n) {
    int[] v = new int[n];
    for (int i = 0; i < n; i++) {
      v[i] = i;
    }
    return v;
  }

  /**
   * The same pairs in the same order, adding into the rows they read (the down projection of {@link
   * #weightedPairs}).
   */
  KernelPlan intoTheirRows() {
    return new KernelPlan(slot, coef, inRow, inRow);
  }

  /**
   * True when no two pairs add into the same row: pairs can then be expanded in parallel, one by
   * one.
   */
  boolean outRowsDistinct() {
    return distinct(outRow);
  }

  /**
   * True when every pair adds into its own row and most pairs have an adapter of their own (a
   * decode step over many distinct adapters): no block of Bᵀ would be reused, so {@link
   * HostLoraKernel#expandAll} streams each pair's Bᵀ whole.
   */
  boolean streamsEachPairWhole() {
    if (streamsEachPairWhole == null) {
      int slots = 0;
      for (int p = 0; p < slot.length; p++) {
        if (p == 0 || slot[p] != slot[p - 1]) { // ordered by slot
          slots++;
        }
      }
      streamsEachPairWhole = slots * 2 > slot.length && distinct(outRow);
    }
    return streamsEachPairWhole;
  }

  int size() {
    return slot.length;
  }

  long slot(int i) {
    return slot[i];
  }

  /**
   * True when pair i has an adapter delta (plans from {@link #weightedPairs} also hold pairs
   * without).
   */
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
