package io.adapterplatform.engine.fused;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Whether {@link HostLoraKernel} can run here. It needs the incubating {@code jdk.incubator.vector}
 * module (the JVM must be started with {@code --add-modules jdk.incubator.vector}); without it the
 * kernel class is never loaded and the grouped delta uses DJL operations only. Kept apart from the
 * kernel so that asking does not load the Vector API.
 */
public final class HostKernels {

  private static final boolean VECTOR_API =
      ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
          && !Boolean.getBoolean("adapterplatform.fused.no-kernel");

  private static volatile boolean warm;

  private HostKernels() {}

  /**
   * Runs every code path of the kernel several hundred times on small random arrays, so that the
   * JIT has compiled them before the first real batch. Vector API code runs orders of magnitude
   * slower until C2 compiles it (each vector is an object in the interpreter), and a branch the
   * warm-up never took would later deoptimise the compiled method back into the interpreter: so the
   * warm-up covers pairs without an adapter, runs of one slot and single pairs, tails that are not
   * a multiple of the vector length, several column blocks, the parallel split, and both pair
   * projections. A server calls this at startup and a benchmark before it measures. Idempotent; a
   * no-op where the kernel is not available. Returns the milliseconds spent.
   */
  public static synchronized double warmUp() {
    if (!VECTOR_API || warm) {
      return 0;
    }
    long start = System.nanoTime();
    int slots = 4;
    int r = 16;
    int narrow = 264; // not a multiple of 16 floats: the scalar tails run
    int wide = 1030; // several column blocks and a tail; enough work for the parallel split
    int k = 2;
    int rows = 24;
    var rng = new java.util.SplittableRandom(1);
    long[] slot = new long[rows * k];
    float[] coef = new float[rows * k];
    float[] weights = new float[rows * k];
    for (int p = 0; p < slot.length; p++) {
      // runs of one slot (four-pair blocks), single pairs, pairs without adapter, a zero scaling
      slot[p] = p < 24 ? 1 : p % 3;
      coef[p] = p % 11 == 5 ? 0f : 0.5f;
      weights[p] = (float) rng.nextDouble();
    }
    for (int p = 0; p < weights.length; p += 7) {
      weights[p] = 0f; // unused choices
    }
    KernelPlan pairs = KernelPlan.weightedPairs(slot, coef, k, weights);
    // one pair per row: the later, mixed half (single pairs of a slot, no adapter, a zero scaling)
    KernelPlan byRow =
        KernelPlan.of(
            java.util.Arrays.copyOfRange(slot, rows, 2 * rows),
            java.util.Arrays.copyOfRange(coef, rows, 2 * rows));
    ai.djl.ndarray.types.Shape rowsWide = new ai.djl.ndarray.types.Shape(rows, wide);
    try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(Device.cpu())) {
      NDArray a = m.randomUniform(-1, 1, new ai.djl.ndarray.types.Shape(slots, r, narrow));
      NDArray bt = m.randomUniform(-1, 1, new ai.djl.ndarray.types.Shape(slots, r, wide));
      NDArray aWide = m.randomUniform(-1, 1, new ai.djl.ndarray.types.Shape(slots, r, wide));
      NDArray btNarrow = m.randomUniform(-1, 1, new ai.djl.ndarray.types.Shape(slots, r, narrow));
      NDArray x = m.randomUniform(-1, 1, new ai.djl.ndarray.types.Shape(rows, narrow));
      NDArray base = m.randomUniform(-1, 1, rowsWide);
      NDArray dora = m.randomUniform(0.5f, 1.5f, new ai.djl.ndarray.types.Shape(slots, wide));
      NDArray routers = m.randomUniform(-1, 1, new ai.djl.ndarray.types.Shape(3, 8, narrow));
      int[] rowMix = new int[rows];
      for (int t = 0; t < rows; t++) {
        rowMix[t] = t % 3; // rows without MixLoRA, and two routers
      }
      for (int i = 0; i < 400; i++) {
        try (ai.djl.ndarray.NDManager step = m.newSubManager()) {
          // the MixLoRA FFN (narrow = hidden, wide = inter), with and without a down adapter
          NDArray hSum = step.zeros(rowsWide);
          float[] down =
              HostLoraKernel.mixFfn(
                  hSum,
                  base,
                  base,
                  x,
                  a,
                  bt,
                  a,
                  bt,
                  i % 2 == 0 ? aWide : null,
                  pairs,
                  weights,
                  i % 3 == 0 ? new HostLoraKernel.DoraFactors(dora, dora, s -> s == 1) : null);
          if (down != null) {
            HostLoraKernel.expandAll(
                step.zeros(new ai.djl.ndarray.types.Shape(rows, narrow)),
                btNarrow,
                pairs.intoTheirRows(),
                down);
          }
          HostLoraKernel.routerLogits(x, routers, rowMix);
          // plain rows, both directions
          HostLoraKernel.addInto(step.zeros(rowsWide), x, a, bt, byRow);
          HostLoraKernel.addInto(
              step.zeros(new ai.djl.ndarray.types.Shape(rows, narrow)),
              base,
              aWide,
              btNarrow,
              byRow);
        }
      }
    }
    warm = true;
    return (System.nanoTime() - start) / 1e6;
  }

  /** True when the JVM has the Vector API module and the kernel was not switched off. */
  public static boolean available() {
    return VECTOR_API;
  }

  /**
   * True when the kernel can compute deltas over pool arrays like {@code a}: fp32 on the CPU, no
   * gradient.
   */
  static boolean usableFor(NDArray a) {
    return VECTOR_API
        && a.getDevice().getDeviceType().equals(Device.Type.CPU)
        && a.getDataType() == DataType.FLOAT32
        && !a.hasGradient();
  }
}
