package io.adapterplatform.engine.fused;

import ai.djl.ndarray.NDArray;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The grouped LoRA delta as one CPU kernel over the pool's own memory (Punica's BGMV/SGMV idea on a
 * CPU): for every pair p, {@code y[outRow_p] += coef_p · B_{slot_p} A_{slot_p} x[inRow_p]}, reading
 * each pair's A and Bᵀ where the pool stores them, in place in y. No per-row copy of adapter
 * weights is made (the GATHER strategy writes and reads back rows × adapter bytes), so a decode
 * step pays the distinct adapters' bytes once, and rows sharing a slot are processed together so
 * that the slot's weights are reused from cache (MixLoRA's (row, expert) pairs).
 *
 * <p>Preconditions (checked by {@link GroupedLora}): arrays on the CPU without gradients (inference
 * only: the kernel is invisible to autograd), fp32 except the pool's A and Bᵀ, which may be bf16
 * ({@link PoolStorage}: each task then reads fp32 copies of the parts it needs, see {@link
 * Bf16Widening}); y is a fresh contiguous array (it is written through its direct buffer). Needs
 * the {@code jdk.incubator.vector} module; {@link HostKernels#available()} says whether it is
 * present, and this class is loaded only then.
 */
final class HostLoraKernel {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();
  private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

  /**
   * Columns of Bᵀ one task streams per pass: r × 256 floats (16 KiB at r = 16) stay in L1 across a
   * slot's pairs.
   */
  private static final int COLUMN_BLOCK = 256;

  /** Below this many multiply-adds one thread does it all: forking costs more than it saves. */
  private static final long PARALLEL_MIN_WORK = 1L << 18;

  private HostLoraKernel() {}

  /**
   * Adds every pair's delta into {@code y} in place.
   *
   * @param y [yRows, out] fp32, contiguous, written in place
   * @param x [xRows, in] fp32
   * @param a A [slots, r, in]
   * @param bt Bᵀ [slots, r, out]
   */
  static void addInto(NDArray y, NDArray x, NDArray a, NDArray bt, KernelPlan plan) {
    int pairs = plan.size();
    if (pairs == 0) {
      return;
    }
    int r = (int) a.getShape().get(1);
    int in = columns(a);
    MemorySegment as = segment(a);
    MemorySegment xs = segment(x);
    boolean bf16 = isBf16(a);
    float[] t = new float[pairs * r];
    // A side: t_p = coef_p · A_{slot_p} x_{inRow_p}, one task per block of pairs
    long aWork = (long) pairs * r * in;
    int aTasks = tasks(aWork, pairs);
    run(
        aTasks,
        task -> {
          int from = (int) ((long) pairs * task / aTasks);
          int to = (int) ((long) pairs * (task + 1) / aTasks);
          Bf16Widening wide = bf16 ? Bf16Widening.begin() : null;
          for (int p = from; p < to; p++) {
            long aBase = plan.slot(p) * r * (long) in;
            MemorySegment aHere = bf16 ? wide.rows(0, as, aBase, r, in, 0, in) : as;
            project(
                aHere,
                xs,
                bf16 ? 0 : aBase,
                plan.inRow(p) * (long) in,
                in,
                r,
                plan.coef(p),
                t,
                p * r);
          }
        });
    expandAll(y, bt, plan, t); // B side: y_{outRow_p} += Bᵀ_{slot_p}ᵀ t_p
  }

  /**
   * Each MixLoRA row's logits over its own router only: {@code logits[t·E + e] = Wg_{mix_t}[e] ·
   * x_t} for rows with {@code rowMix[t] > 0} (others stay 0). Reads E router rows per token, where
   * one GEMM over every router of the pool would read them all; at decode sizes it also skips a
   * skinny GEMM whose call costs more than its arithmetic.
   *
   * @param routers [mixes + 1, E, hidden], block 0 unused
   * @return [rows · E], row t's logits at t·E (zero beyond the adapter's own experts: its router is
   *     padded)
   */
  static float[] routerLogits(NDArray x, NDArray routers, int[] rowMix) {
    int rows = rowMix.length;
    int experts = (int) routers.getShape().get(1);
    int hidden = (int) routers.getShape().get(2);
    MemorySegment rs = segment(routers);
    MemorySegment xs = segment(x);
    float[] logits = new float[rows * experts];
    int tasks = tasks((long) rows * experts * hidden, rows);
    run(
        tasks,
        task -> {
          for (int t = rows * task / tasks; t < rows * (task + 1) / tasks; t++) {
            if (rowMix[t] > 0) {
              project(
                  rs,
                  xs,
                  rowMix[t] * (long) experts * hidden,
                  t * (long) hidden,
                  hidden,
                  experts,
                  1f,
                  logits,
                  t * experts);
            }
          }
        });
    return logits;
  }

  /**
   * Columns of the intermediate dimension one task takes at a time in {@link #mixFfn}: r × 128
   * floats each of B1ᵀ, B3ᵀ and A2 (24 KiB at r = 16) stay in L1 across a slot's pairs.
   */
  private static final int MIX_BLOCK = 128;

  /**
   * The MixLoRA FFN's expert terms in one pass over the intermediate columns, between the base
   * GEMMs W1 x, W3 x and W2 h: for every pair i (row t, expert slot e, routing weight w) {@code g =
   * W1x_t + s·B1_e A1_e x_t}, {@code u = W3x_t + s·B3_e A3_e x_t}, {@code h = w·silu(g)·u} is added
   * into {@code hSum[t]}, and the down projection's A side {@code s·A2_e h} is accumulated from the
   * same registers. Nothing of size [pairs, inter] is ever written to memory (the separate gate, up
   * and down passes wrote and re-read such an array three times, and summed it into rows with a
   * fourth). Returns the down A side per pair of {@code plan} ([plan.size() · r2], zero for pairs
   * without an adapter), for {@link #expandAll} into the rows of W2 h; null when no adapter of the
   * pool has the down projection.
   *
   * @param hSum [rows, inter] zeros, receives Σ_j w_j h_j per row
   * @param plan pairs with a non-zero routing weight ({@link KernelPlan#weightedPairs}): in row t,
   *     weight index p
   * @param aG A1 [slots, r, hidden] or null (likewise up); {@code aD} A2 [slots, r2, inter] or null
   * @param dora DoRA factors of the gate and up projections, or null when no pair's slot has any
   */
  static float[] mixFfn(
      NDArray hSum,
      NDArray baseG,
      NDArray baseU,
      NDArray x,
      NDArray aG,
      NDArray btG,
      NDArray aU,
      NDArray btU,
      NDArray aD,
      KernelPlan plan,
      float[] weights,
      DoraFactors dora) {
    int n = plan.size();
    int inter = (int) baseG.getShape().get(1);
    int hidden = (int) x.getShape().get(1);
    MixPass pass =
        new MixPass(
            n,
            segment(baseG),
            segment(baseU),
            segment(hSum),
            aG == null ? 0 : (int) aG.getShape().get(1),
            aG == null ? null : segment(btG),
            aU == null ? 0 : (int) aU.getShape().get(1),
            aU == null ? null : segment(btU),
            aD == null ? 0 : (int) aD.getShape().get(1),
            aD == null ? null : segment(aD));
    MemorySegment doraG = dora == null || dora.gate() == null ? null : segment(dora.gate());
    MemorySegment doraU = dora == null || dora.up() == null ? null : segment(dora.up());
    // A sides of the gate and up projections: t = s · A x_t per pair
    MemorySegment xs = segment(x);
    MemorySegment ag = aG == null ? null : segment(aG);
    MemorySegment au = aU == null ? null : segment(aU);
    NDArray anyA = aG != null ? aG : aU != null ? aU : aD;
    boolean bf16 = anyA != null && isBf16(anyA);
    int aTasks = tasks((long) n * (pass.rG + pass.rU) * hidden, n);
    run(
        aTasks,
        task -> {
          Bf16Widening wide = bf16 ? Bf16Widening.begin() : null;
          for (int i = (int) ((long) n * task / aTasks); i < (long) n * (task + 1) / aTasks; i++) {
            if (!plan.hasAdapter(i)) {
              continue;
            }
            long xBase = plan.inRow(i) * (long) hidden;
            if (ag != null) {
              long gBase = plan.slot(i) * pass.rG * (long) hidden;
              MemorySegment here = bf16 ? wide.rows(0, ag, gBase, pass.rG, hidden, 0, hidden) : ag;
              project(
                  here,
                  xs,
                  bf16 ? 0 : gBase,
                  xBase,
                  hidden,
                  pass.rG,
                  plan.coef(i),
                  pass.tG,
                  i * pass.rG);
            }
            if (au != null) {
              long uBase = plan.slot(i) * pass.rU * (long) hidden;
              MemorySegment here = bf16 ? wide.rows(1, au, uBase, pass.rU, hidden, 0, hidden) : au;
              project(
                  here,
                  xs,
                  bf16 ? 0 : uBase,
                  xBase,
                  hidden,
                  pass.rU,
                  plan.coef(i),
                  pass.tU,
                  i * pass.rU);
            }
          }
        });
    int blocks = (inter + MIX_BLOCK - 1) / MIX_BLOCK;
    int bTasks = tasks((long) n * (pass.rG + pass.rU + pass.rD + 8) * inter, blocks);
    float[][] partial = new float[bTasks][];
    run(
        bTasks,
        task -> {
          float[] down = new float[pass.aD == null ? 0 : n * pass.rD * LANES]; // lane-wise partials
          float[] g =
              new float[4 * MIX_BLOCK]; // g, then h, of up to four pairs over one column block
          float[] u = new float[4 * MIX_BLOCK];
          long[] rows = new long[4];
          float[] w = new float[4];
          Bf16Widening wide = bf16 ? Bf16Widening.begin() : null;
          for (int blk = blocks * task / bTasks; blk < blocks * (task + 1) / bTasks; blk++) {
            int o0 = blk * MIX_BLOCK;
            int o1 = Math.min(inter, o0 + MIX_BLOCK);
            int i = 0;
            while (i < n) {
              boolean adapter = plan.hasAdapter(i);
              // four pairs of one slot (sorted, so i+1, i+2 share it): each B load feeds four
              int count =
                  adapter
                          && i + 4 <= n
                          && plan.slot(i + 3) == plan.slot(i)
                          && plan.hasAdapter(i + 1)
                          && plan.hasAdapter(i + 2)
                          && plan.hasAdapter(i + 3)
                      ? 4
                      : 1;
              for (int j = 0; j < count; j++) {
                rows[j] = plan.inRow(i + j) * (long) inter;
                w[j] = weights[plan.outRow(i + j)];
              }
              int rG = adapter ? pass.rG : 0;
              int rU = adapter ? pass.rU : 0;
              long slot = plan.slot(i);
              long gBase = slot * rG * (long) inter;
              long uBase = slot * rU * (long) inter;
              MemorySegment gHere = pass.btG;
              MemorySegment uHere = pass.btU;
              if (bf16) { // this block's columns of the slot's Bᵀ, as fp32 (r = 0: nothing to read)
                gHere = rG == 0 ? null : wide.rows(0, pass.btG, gBase, rG, inter, o0, o1);
                uHere = rU == 0 ? null : wide.rows(1, pass.btU, uBase, rU, inter, o0, o1);
                gBase = 0;
                uBase = 0;
              }
              if (count == 4) {
                columns4(pass.baseG, gHere, gBase, inter, rG, pass.tG, i * rG, rows, o0, o1, g);
                columns4(pass.baseU, uHere, uBase, inter, rU, pass.tU, i * rU, rows, o0, o1, u);
              } else {
                columns1(pass.baseG, gHere, gBase, inter, rG, pass.tG, i * rG, rows[0], o0, o1, g);
                columns1(pass.baseU, uHere, uBase, inter, rU, pass.tU, i * rU, rows[0], o0, o1, u);
              }
              if (adapter && (doraG != null || doraU != null) && dora.applies().test((int) slot)) {
                if (doraG != null) {
                  scaleColumns(g, count, doraG, slot * inter, o0, o1);
                }
                if (doraU != null) {
                  scaleColumns(u, count, doraU, slot * inter, o0, o1);
                }
              }
              swiglu(g, u, count, w, rows, pass.hSum, o0, o1);
              if (pass.aD != null && adapter) {
                long dBase = slot * pass.rD * (long) inter;
                MemorySegment dHere =
                    bf16 ? wide.rows(2, pass.aD, dBase, pass.rD, inter, o0, o1) : pass.aD;
                downPartial(
                    dHere, bf16 ? 0 : dBase, inter, pass.rD, g, count, o0, o1, down, i * pass.rD);
              }
              i += count;
            }
          }
          partial[task] = down;
        });
    if (pass.aD == null) {
      return null;
    }
    float[] tD = new float[n * pass.rD];
    for (float[] lanes : partial) {
      for (int j = 0; j < tD.length; j++) {
        float sum = 0;
        for (int lane = 0; lane < LANES; lane++) {
          sum += lanes[j * LANES + lane];
        }
        tD[j] += sum;
      }
    }
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < pass.rD; k++) {
        tD[i * pass.rD + k] *= plan.coef(i);
      }
    }
    return tD;
  }

  /** What one {@link #mixFfn} pass reads and writes; t arrays hold s · A x per pair of the plan. */
  private static final class MixPass {
    final MemorySegment baseG;
    final MemorySegment baseU;
    final MemorySegment hSum;
    final int rG;
    final MemorySegment btG;
    final int rU;
    final MemorySegment btU;
    final int rD;
    final MemorySegment aD;
    final float[] tG;
    final float[] tU;

    MixPass(
        int pairs,
        MemorySegment baseG,
        MemorySegment baseU,
        MemorySegment hSum,
        int rG,
        MemorySegment btG,
        int rU,
        MemorySegment btU,
        int rD,
        MemorySegment aD) {
      this.baseG = baseG;
      this.baseU = baseU;
      this.hSum = hSum;
      this.rG = rG;
      this.btG = btG;
      this.rU = rU;
      this.btU = btU;
      this.rD = rD;
      this.aD = aD;
      this.tG = new float[Math.max(1, pairs * rG)];
      this.tU = new float[Math.max(1, pairs * rU)];
    }
  }

  // Each step of the pass is its own small method, the arrays between them stay in L1: C2 stops
  // inlining in
  // one method holding them all (node count cutoff), and every vector operation not inlined boxes
  // its vectors.

  // buf[j·MIX_BLOCK + c] = base[row_j + o0 + c] + Σ_k t[at + j·r + k] · Bᵀ[k, o0 + c] for four
  // pairs of one
  // slot: each Bᵀ load feeds four FMAs, and two vectors of columns give eight independent FMA
  // chains
  private static void columns4(
      MemorySegment base,
      MemorySegment bt,
      long bBase,
      int inter,
      int r,
      float[] t,
      int at,
      long[] rows,
      int o0,
      int o1,
      float[] buf) {
    long row0 = rows[0];
    long row1 = rows[1];
    long row2 = rows[2];
    long row3 = rows[3];
    int vecEnd = o0 + (o1 - o0) / (2 * LANES) * (2 * LANES);
    for (int o = o0; o < vecEnd; o += 2 * LANES) {
      FloatVector v0 = load(base, row0 + o);
      FloatVector v1 = load(base, row1 + o);
      FloatVector v2 = load(base, row2 + o);
      FloatVector v3 = load(base, row3 + o);
      FloatVector w0 = load(base, row0 + o + LANES);
      FloatVector w1 = load(base, row1 + o + LANES);
      FloatVector w2 = load(base, row2 + o + LANES);
      FloatVector w3 = load(base, row3 + o + LANES);
      for (int k = 0; k < r; k++) {
        long bRow = bBase + (long) k * inter + o;
        FloatVector lo = load(bt, bRow);
        FloatVector hi = load(bt, bRow + LANES);
        FloatVector t0 = FloatVector.broadcast(SPECIES, t[at + k]);
        FloatVector t1 = FloatVector.broadcast(SPECIES, t[at + r + k]);
        FloatVector t2 = FloatVector.broadcast(SPECIES, t[at + 2 * r + k]);
        FloatVector t3 = FloatVector.broadcast(SPECIES, t[at + 3 * r + k]);
        v0 = lo.fma(t0, v0);
        v1 = lo.fma(t1, v1);
        v2 = lo.fma(t2, v2);
        v3 = lo.fma(t3, v3);
        w0 = hi.fma(t0, w0);
        w1 = hi.fma(t1, w1);
        w2 = hi.fma(t2, w2);
        w3 = hi.fma(t3, w3);
      }
      int c = o - o0;
      v0.intoArray(buf, c);
      v1.intoArray(buf, MIX_BLOCK + c);
      v2.intoArray(buf, 2 * MIX_BLOCK + c);
      v3.intoArray(buf, 3 * MIX_BLOCK + c);
      w0.intoArray(buf, c + LANES);
      w1.intoArray(buf, MIX_BLOCK + c + LANES);
      w2.intoArray(buf, 2 * MIX_BLOCK + c + LANES);
      w3.intoArray(buf, 3 * MIX_BLOCK + c + LANES);
    }
    for (int j = 0; j < 4; j++) {
      columnsTail(base, bt, bBase, inter, r, t, at + j * r, rows[j], vecEnd, o1, o0, buf, j);
    }
  }

  // columns4 for one pair (r = 0: no adapter, the base values only)
  private static void columns1(
      MemorySegment base,
      MemorySegment bt,
      long bBase,
      int inter,
      int r,
      float[] t,
      int at,
      long row,
      int o0,
      int o1,
      float[] buf) {
    int vecEnd = o0 + (o1 - o0) / LANES * LANES;
    for (int o = o0; o < vecEnd; o += LANES) {
      FloatVector v = load(base, row + o);
      for (int k = 0; k < r; k++) {
        v =
            load(bt, bBase + (long) k * inter + o)
                .fma(FloatVector.broadcast(SPECIES, t[at + k]), v);
      }
      v.intoArray(buf, o - o0);
    }
    columnsTail(base, bt, bBase, inter, r, t, at, row, vecEnd, o1, o0, buf, 0);
  }

  private static void columnsTail(
      MemorySegment base,
      MemorySegment bt,
      long bBase,
      int inter,
      int r,
      float[] t,
      int at,
      long row,
      int from,
      int o1,
      int o0,
      float[] buf,
      int j) {
    for (int o = from; o < o1; o++) {
      float v = base.getAtIndex(FLOAT, row + o);
      for (int k = 0; k < r; k++) {
        v += t[at + k] * bt.getAtIndex(FLOAT, bBase + (long) k * inter + o);
      }
      buf[j * MIX_BLOCK + o - o0] = v;
    }
  }

  /**
   * DoRA factors {@code m / ‖W + s·B A‖} [slots, inter] of the gate and up projections (either may
   * be null), applied to the pairs whose slot {@code applies} accepts: a DoRA adapter's rows beside
   * MixLoRA rows.
   */
  record DoraFactors(NDArray gate, NDArray up, java.util.function.IntPredicate applies) {}

  // buf[j·MIX_BLOCK + c] *= factor[base + o0 + c] for the count pairs of one DoRA slot (after base
  // + LoRA)
  private static void scaleColumns(
      float[] buf, int count, MemorySegment factor, long base, int o0, int o1) {
    int width = o1 - o0;
    int vecEnd = width / LANES * LANES;
    for (int j = 0; j < count; j++) {
      int off = j * MIX_BLOCK;
      for (int c = 0; c < vecEnd; c += LANES) {
        FloatVector.fromArray(SPECIES, buf, off + c)
            .mul(load(factor, base + o0 + c))
            .intoArray(buf, off + c);
      }
      for (int c = vecEnd; c < width; c++) {
        buf[off + c] *= factor.getAtIndex(FLOAT, base + o0 + c);
      }
    }
  }

  // h = w_j · silu(g) · u for the count pairs, added into hSum at their rows, and left in g for
  // downPartial
  private static void swiglu(
      float[] g, float[] u, int count, float[] w, long[] rows, MemorySegment hSum, int o0, int o1) {
    int width = o1 - o0;
    int vecEnd = width / LANES * LANES;
    for (int j = 0; j < count; j++) {
      float weight = w[j];
      long row = rows[j] + o0;
      int off = j * MIX_BLOCK;
      for (int c = 0; c < vecEnd; c += LANES) {
        FloatVector gv = FloatVector.fromArray(SPECIES, g, off + c);
        FloatVector h =
            gv.div(exp(gv.neg()).add(1f))
                .mul(FloatVector.fromArray(SPECIES, u, off + c))
                .mul(weight);
        load(hSum, row + c).add(h).intoMemorySegment(hSum, (row + c) * Float.BYTES, ORDER);
        h.intoArray(g, off + c);
      }
      for (int c = vecEnd; c < width; c++) {
        float gs = g[off + c];
        float h = gs / (1f + (float) Math.exp(-gs)) * u[off + c] * weight;
        hSum.setAtIndex(FLOAT, row + c, hSum.getAtIndex(FLOAT, row + c) + h);
        g[off + c] = h;
      }
    }
  }

  // down[(at + j·r + k)·LANES + lane] += the lane-wise partial of Σ_{o in [o0, o1)} A2[k, o] ·
  // hb[j][o] for the
  // count (1 or 4) pairs in hb: lanes are summed once at the end of the pass (mixFfn), not per
  // block (four
  // lane reductions per k and block cost more than the products). Tails go to lane 0.
  private static void downPartial(
      MemorySegment aD,
      long aBase,
      int inter,
      int r,
      float[] hb,
      int count,
      int o0,
      int o1,
      float[] down,
      int at) {
    if (count == 4) {
      downPartial4(aD, aBase, inter, r, hb, o0, o1, down, at);
      return;
    }
    int width = o1 - o0;
    int vecEnd = width / (2 * LANES) * (2 * LANES);
    for (int k = 0; k < r; k++) {
      long row = aBase + (long) k * inter + o0;
      FloatVector even = FloatVector.zero(SPECIES);
      FloatVector odd = FloatVector.zero(SPECIES);
      for (int c = 0; c < vecEnd; c += 2 * LANES) {
        even = load(aD, row + c).fma(FloatVector.fromArray(SPECIES, hb, c), even);
        odd = load(aD, row + c + LANES).fma(FloatVector.fromArray(SPECIES, hb, c + LANES), odd);
      }
      int cell = (at + k) * LANES;
      even.add(odd).add(FloatVector.fromArray(SPECIES, down, cell)).intoArray(down, cell);
      for (int c = vecEnd; c < width; c++) {
        down[cell] += aD.getAtIndex(FLOAT, row + c) * hb[c];
      }
    }
  }

  // downPartial for four pairs: each A2 load feeds four FMA chains
  private static void downPartial4(
      MemorySegment aD,
      long aBase,
      int inter,
      int r,
      float[] hb,
      int o0,
      int o1,
      float[] down,
      int at) {
    int width = o1 - o0;
    int vecEnd = width / LANES * LANES;
    for (int k = 0; k < r; k++) {
      long row = aBase + (long) k * inter + o0;
      FloatVector acc0 = FloatVector.zero(SPECIES);
      FloatVector acc1 = FloatVector.zero(SPECIES);
      FloatVector acc2 = FloatVector.zero(SPECIES);
      FloatVector acc3 = FloatVector.zero(SPECIES);
      for (int c = 0; c < vecEnd; c += LANES) {
        FloatVector a = load(aD, row + c);
        acc0 = a.fma(FloatVector.fromArray(SPECIES, hb, c), acc0);
        acc1 = a.fma(FloatVector.fromArray(SPECIES, hb, MIX_BLOCK + c), acc1);
        acc2 = a.fma(FloatVector.fromArray(SPECIES, hb, 2 * MIX_BLOCK + c), acc2);
        acc3 = a.fma(FloatVector.fromArray(SPECIES, hb, 3 * MIX_BLOCK + c), acc3);
      }
      int c0 = (at + k) * LANES;
      int c1 = (at + r + k) * LANES;
      int c2 = (at + 2 * r + k) * LANES;
      int c3 = (at + 3 * r + k) * LANES;
      acc0.add(FloatVector.fromArray(SPECIES, down, c0)).intoArray(down, c0);
      acc1.add(FloatVector.fromArray(SPECIES, down, c1)).intoArray(down, c1);
      acc2.add(FloatVector.fromArray(SPECIES, down, c2)).intoArray(down, c2);
      acc3.add(FloatVector.fromArray(SPECIES, down, c3)).intoArray(down, c3);
      for (int c = vecEnd; c < width; c++) {
        float a = aD.getAtIndex(FLOAT, row + c);
        down[c0] += a * hb[c];
        down[c1] += a * hb[MIX_BLOCK + c];
        down[c2] += a * hb[2 * MIX_BLOCK + c];
        down[c3] += a * hb[3 * MIX_BLOCK + c];
      }
    }
  }

  /**
   * {@code y[outRow_i] += Bᵀ_{slot_i}ᵀ t_i} for every pair i of {@code plan} with an adapter, t_i
   * at {@code t[i·r]} (the B side of {@link #addInto}, and of {@link #mixFfn}'s down projection).
   */
  static void expandAll(NDArray y, NDArray bt, KernelPlan plan, float[] t) {
    int pairs = plan.size();
    int r = (int) bt.getShape().get(1);
    int out = columns(bt);
    MemorySegment bs = segment(bt);
    MemorySegment ys = segment(y);
    boolean bf16 = isBf16(bt);
    if (plan.streamsEachPairWhole()) {
      // Mostly one pair per adapter (many distinct adapters in a decode step): no block of Bᵀ is
      // reused, so
      // stream each pair's Bᵀ rows whole. Column blocks would cut them into r short runs per block,
      // which the
      // hardware prefetcher follows badly (7.6 against 22 GB/s at 64 adapters, q_proj shape).
      int pTasks = tasks((long) pairs * r * out, pairs);
      run(
          pTasks,
          task -> {
            Bf16Widening wide = bf16 ? Bf16Widening.begin() : null;
            for (int p = (int) ((long) pairs * task / pTasks);
                p < (int) ((long) pairs * (task + 1) / pTasks);
                p++) {
              if (plan.hasAdapter(p)) {
                long bBase = plan.slot(p) * r * (long) out;
                MemorySegment here = bf16 ? wide.rows(0, bs, bBase, r, out, 0, out) : bs;
                expand(
                    here,
                    ys,
                    bf16 ? 0 : bBase,
                    plan.outRow(p) * (long) out,
                    out,
                    r,
                    t,
                    p * r,
                    0,
                    out);
              }
            }
          });
      return;
    }
    // one task per block of columns: outputs never collide
    int blocks = (out + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
    int bTasks = tasks((long) pairs * r * out, blocks);
    run(
        bTasks,
        task -> {
          int fromBlock = (int) ((long) blocks * task / bTasks);
          int toBlock = (int) ((long) blocks * (task + 1) / bTasks);
          Bf16Widening wide = bf16 ? Bf16Widening.begin() : null;
          for (int blk = fromBlock; blk < toBlock; blk++) {
            int o0 = blk * COLUMN_BLOCK;
            int o1 = Math.min(out, o0 + COLUMN_BLOCK);
            for (int p = 0; p < pairs; p++) {
              if (plan.hasAdapter(p)) {
                long bBase = plan.slot(p) * r * (long) out;
                MemorySegment here = bf16 ? wide.rows(0, bs, bBase, r, out, o0, o1) : bs;
                expand(
                    here,
                    ys,
                    bf16 ? 0 : bBase,
                    plan.outRow(p) * (long) out,
                    out,
                    r,
                    t,
                    p * r,
                    o0,
                    o1);
              }
            }
          }
        });
  }

  // t[at + k] = coef · Σ_i A[k, i] x[i] for k < r; four accumulators, so that FMA latency does not
  // bound it
  private static void project(
      MemorySegment a,
      MemorySegment x,
      long aBase,
      long xBase,
      int in,
      int r,
      float coef,
      float[] t,
      int at) {
    int vecEnd = in - in % (4 * LANES);
    for (int k = 0; k < r; k++) {
      long row = aBase + (long) k * in;
      FloatVector acc0 = FloatVector.zero(SPECIES);
      FloatVector acc1 = FloatVector.zero(SPECIES);
      FloatVector acc2 = FloatVector.zero(SPECIES);
      FloatVector acc3 = FloatVector.zero(SPECIES);
      int i = 0;
      for (; i < vecEnd; i += 4 * LANES) {
        acc0 = load(a, row + i).fma(load(x, xBase + i), acc0);
        acc1 = load(a, row + i + LANES).fma(load(x, xBase + i + LANES), acc1);
        acc2 = load(a, row + i + 2 * LANES).fma(load(x, xBase + i + 2 * LANES), acc2);
        acc3 = load(a, row + i + 3 * LANES).fma(load(x, xBase + i + 3 * LANES), acc3);
      }
      float sum = acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
      for (; i < in; i++) {
        sum += a.getAtIndex(FLOAT, row + i) * x.getAtIndex(FLOAT, xBase + i);
      }
      t[at + k] = coef * sum;
    }
  }

  // y[o] += Σ_k t[at + k] Bᵀ[k, o] for o in [o0, o1); four vectors of columns per pass (independent
  // chains)
  private static void expand(
      MemorySegment bt,
      MemorySegment y,
      long bBase,
      long yBase,
      int out,
      int r,
      float[] t,
      int at,
      int o0,
      int o1) {
    int o = o0;
    int vecEnd = o0 + (o1 - o0) / (4 * LANES) * (4 * LANES);
    for (; o < vecEnd; o += 4 * LANES) {
      FloatVector acc0 = load(y, yBase + o);
      FloatVector acc1 = load(y, yBase + o + LANES);
      FloatVector acc2 = load(y, yBase + o + 2 * LANES);
      FloatVector acc3 = load(y, yBase + o + 3 * LANES);
      for (int k = 0; k < r; k++) {
        long row = bBase + (long) k * out + o;
        FloatVector tk = FloatVector.broadcast(SPECIES, t[at + k]);
        acc0 = load(bt, row).fma(tk, acc0);
        acc1 = load(bt, row + LANES).fma(tk, acc1);
        acc2 = load(bt, row + 2 * LANES).fma(tk, acc2);
        acc3 = load(bt, row + 3 * LANES).fma(tk, acc3);
      }
      acc0.intoMemorySegment(y, (yBase + o) * Float.BYTES, ORDER);
      acc1.intoMemorySegment(y, (yBase + o + LANES) * Float.BYTES, ORDER);
      acc2.intoMemorySegment(y, (yBase + o + 2 * LANES) * Float.BYTES, ORDER);
      acc3.intoMemorySegment(y, (yBase + o + 3 * LANES) * Float.BYTES, ORDER);
    }
    for (; o < o1; o++) {
      float acc = y.getAtIndex(FLOAT, yBase + o);
      for (int k = 0; k < r; k++) {
        acc += t[at + k] * bt.getAtIndex(FLOAT, bBase + (long) k * out + o);
      }
      y.setAtIndex(FLOAT, yBase + o, acc);
    }
  }

  /**
   * e^x per lane in fp32 (relative error below 2e-7 on [-87, 88], inputs clamped there): e^x = 2^n
   * · e^f with n = round(x · log2 e), f = x - n · ln 2 in [-ln2/2, ln2/2], e^f by a degree-6
   * polynomial (the Cephes coefficients), 2^n built in the exponent bits. The Vector API's own EXP
   * is not intrinsified on every JDK build and then falls back to a per-lane loop, several times
   * slower than this.
   */
  static FloatVector exp(FloatVector x) {
    x = x.max(-87.0f).min(88.0f);
    FloatVector n =
        x.mul(1.44269504f).add(12582912f).sub(12582912f); // round to nearest (1.5 · 2^23 trick)
    FloatVector f =
        x.sub(n.mul(0.693359375f))
            .add(n.mul(2.12194440e-4f)); // x - n·ln2, ln2 split in two (n·hi exact)
    FloatVector p = f.fma(1.9875691500e-4f, 1.3981999507e-3f);
    p = p.fma(f, FloatVector.broadcast(SPECIES, 8.3334519073e-3f));
    p = p.fma(f, FloatVector.broadcast(SPECIES, 4.1665795894e-2f));
    p = p.fma(f, FloatVector.broadcast(SPECIES, 1.6666665459e-1f));
    p = p.fma(f, FloatVector.broadcast(SPECIES, 5.0000001201e-1f));
    p = p.fma(f.mul(f), f).add(1f);
    FloatVector scale =
        ((jdk.incubator.vector.IntVector) n.convert(VectorOperators.F2I, 0))
            .add(127)
            .lanewise(VectorOperators.LSHL, 23)
            .reinterpretAsFloats();
    return p.mul(scale);
  }

  private static boolean isBf16(NDArray weights) {
    return PoolStorage.isBf16(weights);
  }

  private static int columns(NDArray weights) {
    return (int) weights.getShape().get(2) / (isBf16(weights) ? 2 : 1);
  }

  private static FloatVector load(MemorySegment s, long floatIndex) {
    return FloatVector.fromMemorySegment(SPECIES, s, floatIndex * Float.BYTES, ORDER);
  }

  private static MemorySegment segment(NDArray array) {
    MemorySegment view = MemorySegment.ofBuffer(array.toByteBuffer(true));
    return MemorySegment.ofAddress(view.address()).reinterpret(view.byteSize());
  }

  /**
   * Threads one kernel call may use: system property {@code adapterplatform.fused.kernel-threads},
   * else the size of libtorch's OpenMP team when the kernel runs on it (see {@link OpenMpTeam}),
   * else the available processors.
   */
  private static final Integer THREADS_SET =
      Integer.getInteger("adapterplatform.fused.kernel-threads");

  private static final OpenMpTeam TEAM = OpenMpTeam.find().orElse(null);

  private static int threads() {
    if (THREADS_SET != null) {
      return Math.max(1, THREADS_SET);
    }
    return TEAM != null ? TEAM.threads() : Runtime.getRuntime().availableProcessors();
  }

  private static int tasks(long work, int units) {
    if (work < PARALLEL_MIN_WORK) {
      return 1;
    }
    return Math.max(1, Math.min(units, threads()));
  }

  private static void run(int tasks, java.util.function.IntConsumer task) {
    if (tasks == 1) {
      task.accept(0);
    } else if (TEAM != null) {
      TEAM.run(tasks, task);
    } else {
      IntStream.range(0, tasks).parallel().forEach(task);
    }
  }
}
