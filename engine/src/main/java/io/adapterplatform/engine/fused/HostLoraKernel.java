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
 * The grouped LoRA delta as one CPU kernel over the pool's own memory (Punica's BGMV/SGMV idea on a CPU):
 * for every pair p, {@code y[outRow_p] += coef_p · B_{slot_p} A_{slot_p} x[inRow_p]}, reading each pair's
 * A and Bᵀ where the pool stores them, in place in y. No per-row copy of adapter weights is made (the
 * GATHER strategy writes and reads back rows × adapter bytes), so a decode step pays the distinct
 * adapters' bytes once, and rows sharing a slot are processed together so that the slot's weights are
 * reused from cache (MixLoRA's (row, expert) pairs).
 *
 * <p>Preconditions (checked by {@link GroupedLora}): fp32 arrays on the CPU without gradients (inference
 * only: the kernel is invisible to autograd); y is a fresh contiguous array (it is written through its
 * direct buffer). Needs the {@code jdk.incubator.vector} module; {@link HostKernels#available()} says
 * whether it is present, and this class is loaded only then.
 */
final class HostLoraKernel {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Columns of Bᵀ one task streams per pass: r × 256 floats (16 KiB at r = 16) stay in L1 across a slot's pairs. */
    private static final int COLUMN_BLOCK = 256;
    /** Below this many multiply-adds one thread does it all: forking costs more than it saves. */
    private static final long PARALLEL_MIN_WORK = 1L << 18;

    private HostLoraKernel() {
    }

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
        int in = (int) a.getShape().get(2);
        int out = (int) bt.getShape().get(2);
        MemorySegment as = segment(a);
        MemorySegment bs = segment(bt);
        MemorySegment xs = segment(x);
        MemorySegment ys = segment(y);
        float[] t = new float[pairs * r];
        // A side: t_p = coef_p · A_{slot_p} x_{inRow_p}, one task per block of pairs
        long aWork = (long) pairs * r * in;
        int aTasks = tasks(aWork, pairs);
        run(aTasks, task -> {
            int from = (int) ((long) pairs * task / aTasks);
            int to = (int) ((long) pairs * (task + 1) / aTasks);
            for (int p = from; p < to; p++) {
                project(as, xs, plan.slot(p) * r * (long) in, plan.inRow(p) * (long) in, in, r, plan.coef(p), t, p * r);
            }
        });
        // B side: y_{outRow_p} += Bᵀ_{slot_p}ᵀ t_p, one task per block of columns (outputs never collide)
        int blocks = (out + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
        long bWork = (long) pairs * r * out;
        int bTasks = tasks(bWork, blocks);
        run(bTasks, task -> {
            int fromBlock = (int) ((long) blocks * task / bTasks);
            int toBlock = (int) ((long) blocks * (task + 1) / bTasks);
            for (int blk = fromBlock; blk < toBlock; blk++) {
                int o0 = blk * COLUMN_BLOCK;
                int o1 = Math.min(out, o0 + COLUMN_BLOCK);
                for (int p = 0; p < pairs; p++) {
                    expand(bs, ys, plan.slot(p) * r * (long) out, plan.outRow(p) * (long) out, out, r, t, p * r, o0, o1);
                }
            }
        });
    }

    /**
     * A MixLoRA gate or up projection for every pair, its base product taken from the pair's row instead of a
     * repeated copy: {@code v_p = base[inRow_p] + coef_p · B_{slot_p} A_{slot_p} x[inRow_p]}. Without
     * {@code weights}, {@code y[p] = v_p} (the gate); with them, {@code y[p] = silu(y[p]) · v_p · weights[p]}
     * in place (the up projection fused with SwiGLU and the routing weight: y holds g and becomes w_j h_j,
     * without the four elementwise passes over [pairs, inter] it would otherwise take).
     *
     * @param y [pairs, out], written for every pair of {@code plan} (a plan from {@link KernelPlan#everyPair})
     * @param base [rows, out] the frozen projection of the rows
     * @param a A [slots, r, in], or null when no adapter of the pool has this projection
     */
    static void pairProjection(NDArray y, NDArray base, NDArray x, NDArray a, NDArray bt, KernelPlan plan,
                               float[] weights) {
        int pairs = plan.size();
        int out = (int) base.getShape().get(1);
        int r = a == null ? 0 : (int) a.getShape().get(1);
        int in = (int) x.getShape().get(1);
        MemorySegment as = a == null ? null : segment(a);
        MemorySegment bs = a == null ? null : segment(bt);
        MemorySegment xs = segment(x);
        MemorySegment basis = segment(base);
        MemorySegment ys = segment(y);
        float[] t = new float[Math.max(1, pairs * r)];
        if (a != null) {
            int aTasks = tasks((long) pairs * r * in, pairs);
            run(aTasks, task -> {
                for (int p = pairs * task / aTasks; p < pairs * (task + 1) / aTasks; p++) {
                    if (plan.hasAdapter(p)) {
                        project(as, xs, plan.slot(p) * r * (long) in, plan.inRow(p) * (long) in, in, r, plan.coef(p),
                                t, p * r);
                    }
                }
            });
        }
        int blocks = (out + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
        int bTasks = tasks((long) pairs * Math.max(r, 4) * out, blocks);
        run(bTasks, task -> {
            float[] u = new float[8 * LANES];
            for (int blk = blocks * task / bTasks; blk < blocks * (task + 1) / bTasks; blk++) {
                int o0 = blk * COLUMN_BLOCK;
                int o1 = Math.min(out, o0 + COLUMN_BLOCK);
                int p = 0;
                while (p < pairs) {
                    int rank = plan.hasAdapter(p) ? r : 0;
                    long bBase = rank == 0 ? 0 : plan.slot(p) * r * (long) out;
                    if (rank > 0 && p + 4 <= pairs && plan.slot(p + 3) == plan.slot(p) && plan.hasAdapter(p + 3)
                            && plan.hasAdapter(p + 1) && plan.hasAdapter(p + 2)) {
                        // four pairs of one slot (sorted, so p+1, p+2 share it too): each Bᵀ load feeds 4 rows
                        pairColumns4(bs, basis, ys, bBase, plan, p, out, r, t, o0, o1, weights, u);
                        p += 4;
                        continue;
                    }
                    pairColumns(bs, basis, ys, bBase, plan.inRow(p) * (long) out, plan.outRow(p) * (long) out, out,
                            rank, t, p * r, o0, o1, weights == null ? Float.NaN : weights[plan.outRow(p)]);
                    p++;
                }
            }
        });
    }

    // pairColumns for pairs p..p+3 of one slot, register-blocked: 2 vectors of columns × 4 pairs per pass
    private static void pairColumns4(MemorySegment bt, MemorySegment base, MemorySegment y, long bBase,
                                     KernelPlan plan, int p, int out, int r, float[] t, int o0, int o1,
                                     float[] weights, float[] u) {
        long b0 = plan.inRow(p) * (long) out;
        long b1 = plan.inRow(p + 1) * (long) out;
        long b2 = plan.inRow(p + 2) * (long) out;
        long b3 = plan.inRow(p + 3) * (long) out;
        int at = p * r;
        int o = o0;
        int vecEnd = o0 + (o1 - o0) / (2 * LANES) * (2 * LANES);
        for (; o < vecEnd; o += 2 * LANES) {
            FloatVector v0 = load(base, b0 + o);
            FloatVector v1 = load(base, b1 + o);
            FloatVector v2 = load(base, b2 + o);
            FloatVector v3 = load(base, b3 + o);
            FloatVector w0 = load(base, b0 + o + LANES);
            FloatVector w1 = load(base, b1 + o + LANES);
            FloatVector w2 = load(base, b2 + o + LANES);
            FloatVector w3 = load(base, b3 + o + LANES);
            for (int k = 0; k < r; k++) {
                long row = bBase + (long) k * out + o;
                FloatVector lo = load(bt, row);
                FloatVector hi = load(bt, row + LANES);
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
            // stores written out here: a FloatVector passed to a method that is not inlined is boxed
            long r0 = plan.outRow(p) * (long) out + o;
            long r1 = plan.outRow(p + 1) * (long) out + o;
            long r2 = plan.outRow(p + 2) * (long) out + o;
            long r3 = plan.outRow(p + 3) * (long) out + o;
            if (weights != null) {
                // SwiGLU in a loop with one inlined exp, not eight copies (C2 would stop inlining the vector
                // operations of so large a method, and every non-inlined one boxes its vectors)
                v0.intoArray(u, 0);
                w0.intoArray(u, LANES);
                v1.intoArray(u, 2 * LANES);
                w1.intoArray(u, 3 * LANES);
                v2.intoArray(u, 4 * LANES);
                w2.intoArray(u, 5 * LANES);
                v3.intoArray(u, 6 * LANES);
                w3.intoArray(u, 7 * LANES);
                for (int j = 0; j < 8; j++) {
                    int pair = p + j / 2;
                    long cell = plan.outRow(pair) * (long) out + o + (j % 2) * LANES;
                    FloatVector g = load(y, cell);
                    g.div(exp(g.neg()).add(1f)).mul(FloatVector.fromArray(SPECIES, u, j * LANES))
                            .mul(weights[plan.outRow(pair)]).intoMemorySegment(y, cell * Float.BYTES, ORDER);
                }
                continue;
            }
            v0.intoMemorySegment(y, r0 * Float.BYTES, ORDER);
            w0.intoMemorySegment(y, (r0 + LANES) * Float.BYTES, ORDER);
            v1.intoMemorySegment(y, r1 * Float.BYTES, ORDER);
            w1.intoMemorySegment(y, (r1 + LANES) * Float.BYTES, ORDER);
            v2.intoMemorySegment(y, r2 * Float.BYTES, ORDER);
            w2.intoMemorySegment(y, (r2 + LANES) * Float.BYTES, ORDER);
            v3.intoMemorySegment(y, r3 * Float.BYTES, ORDER);
            w3.intoMemorySegment(y, (r3 + LANES) * Float.BYTES, ORDER);
        }
        if (o < o1) {
            for (int j = 0; j < 4; j++) {
                pairColumns(bt, base, y, bBase, plan.inRow(p + j) * (long) out, plan.outRow(p + j) * (long) out, out,
                        r, t, at + j * r, o, o1, weights == null ? Float.NaN : weights[plan.outRow(p + j)]);
            }
        }
    }

    // v = base[o] + Σ_k t[at + k] Bᵀ[k, o] for o in [o0, o1); y[o] = v, or silu(y[o]) · v · weight
    private static void pairColumns(MemorySegment bt, MemorySegment base, MemorySegment y, long bBase, long baseRow,
                                    long yRow, int out, int r, float[] t, int at, int o0, int o1, float weight) {
        boolean swiglu = !Float.isNaN(weight);
        int o = o0;
        int vecEnd = o0 + (o1 - o0) / LANES * LANES;
        for (; o < vecEnd; o += LANES) {
            FloatVector v = load(base, baseRow + o);
            for (int k = 0; k < r; k++) {
                v = load(bt, bBase + (long) k * out + o).fma(FloatVector.broadcast(SPECIES, t[at + k]), v);
            }
            if (swiglu) {
                FloatVector g = load(y, yRow + o);
                v = g.div(exp(g.neg()).add(1f)).mul(v).mul(weight);
            }
            v.intoMemorySegment(y, (yRow + o) * Float.BYTES, ORDER);
        }
        for (; o < o1; o++) {
            float v = base.getAtIndex(FLOAT, baseRow + o);
            for (int k = 0; k < r; k++) {
                v += t[at + k] * bt.getAtIndex(FLOAT, bBase + (long) k * out + o);
            }
            if (swiglu) {
                float g = y.getAtIndex(FLOAT, yRow + o);
                v = g / (1f + (float) Math.exp(-g)) * v * weight;
            }
            y.setAtIndex(FLOAT, yRow + o, v);
        }
    }

    // t[at + k] = coef · Σ_i A[k, i] x[i] for k < r; four accumulators, so that FMA latency does not bound it
    private static void project(MemorySegment a, MemorySegment x, long aBase, long xBase, int in, int r, float coef,
                                float[] t, int at) {
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

    // y[o] += Σ_k t[at + k] Bᵀ[k, o] for o in [o0, o1); four vectors of columns per pass (independent chains)
    private static void expand(MemorySegment bt, MemorySegment y, long bBase, long yBase, int out, int r, float[] t,
                               int at, int o0, int o1) {
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
     * e^x per lane in fp32 (relative error below 2e-7 on [-87, 88], inputs clamped there): e^x = 2^n · e^f with
     * n = round(x · log2 e), f = x - n · ln 2 in [-ln2/2, ln2/2], e^f by a degree-6 polynomial (the Cephes
     * coefficients), 2^n built in the exponent bits. The Vector API's own EXP is not intrinsified on every
     * JDK build and then falls back to a per-lane loop, several times slower than this.
     */
    static FloatVector exp(FloatVector x) {
        x = x.max(-87.0f).min(88.0f);
        FloatVector n = x.mul(1.44269504f).add(12582912f).sub(12582912f);    // round to nearest (1.5 · 2^23 trick)
        FloatVector f = x.sub(n.mul(0.693359375f)).add(n.mul(2.12194440e-4f)); // x - n·ln2, ln2 split in two (n·hi exact)
        FloatVector p = f.fma(1.9875691500e-4f, 1.3981999507e-3f);
        p = p.fma(f, FloatVector.broadcast(SPECIES, 8.3334519073e-3f));
        p = p.fma(f, FloatVector.broadcast(SPECIES, 4.1665795894e-2f));
        p = p.fma(f, FloatVector.broadcast(SPECIES, 1.6666665459e-1f));
        p = p.fma(f, FloatVector.broadcast(SPECIES, 5.0000001201e-1f));
        p = p.fma(f.mul(f), f).add(1f);
        FloatVector scale = ((jdk.incubator.vector.IntVector) n.convert(VectorOperators.F2I, 0))
                .add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(scale);
    }

    private static FloatVector load(MemorySegment s, long floatIndex) {
        return FloatVector.fromMemorySegment(SPECIES, s, floatIndex * Float.BYTES, ORDER);
    }

    private static MemorySegment segment(NDArray array) {
        MemorySegment view = MemorySegment.ofBuffer(array.toByteBuffer(true));
        return MemorySegment.ofAddress(view.address()).reinterpret(view.byteSize());
    }

    /**
     * Threads one kernel call may use: system property {@code adapterplatform.fused.kernel-threads}, else the
     * size of libtorch's OpenMP team when the kernel runs on it (see {@link OpenMpTeam}), else the available
     * processors.
     */
    private static final Integer THREADS_SET = Integer.getInteger("adapterplatform.fused.kernel-threads");
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
