package io.adapterplatform.engine.fused;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Whether {@link HostLoraKernel} can run here. It needs the incubating {@code jdk.incubator.vector} module
 * (the JVM must be started with {@code --add-modules jdk.incubator.vector}); without it the kernel class is
 * never loaded and the grouped delta uses DJL operations only. Kept apart from the kernel so that asking
 * does not load the Vector API.
 */
public final class HostKernels {

    private static final boolean VECTOR_API = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            && !Boolean.getBoolean("adapterplatform.fused.no-kernel");

    private static volatile boolean warm;

    private HostKernels() {
    }

    /**
     * Runs the kernel's code paths a few hundred times on small random arrays, so that the JIT has compiled
     * them before the first real batch. Vector API code runs orders of magnitude slower until C2 compiles it
     * (each vector is an object in the interpreter), so a server calls this at startup and a benchmark before
     * it measures. Idempotent; a no-op where the kernel is not available. Returns the milliseconds spent.
     */
    public static synchronized double warmUp() {
        if (!VECTOR_API || warm) {
            return 0;
        }
        long start = System.nanoTime();
        int slots = 3;
        int r = 16;
        int in = 256;
        int out = 512;
        int k = 2;
        int rows = 8;
        var rng = new java.util.SplittableRandom(1);
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(Device.cpu())) {
            NDArray a = m.randomUniform(-1, 1, new ai.djl.ndarray.types.Shape(slots, r, in));
            NDArray bt = m.randomUniform(-1, 1, new ai.djl.ndarray.types.Shape(slots, r, out));
            NDArray x = m.randomUniform(-1, 1, new ai.djl.ndarray.types.Shape(rows, in));
            NDArray base = m.randomUniform(-1, 1, new ai.djl.ndarray.types.Shape(rows, out));
            long[] slot = new long[rows * k];
            float[] coef = new float[rows * k];
            float[] weights = new float[rows * k];
            for (int p = 0; p < slot.length; p++) {
                slot[p] = 1 + (p % 4 == 0 ? 1 : 0);   // runs of one slot (4-pair blocks) and single pairs
                coef[p] = 0.5f;
                weights[p] = (float) rng.nextDouble();
            }
            KernelPlan every = KernelPlan.everyPair(slot, coef, k);
            KernelPlan down = KernelPlan.pairs(slot, coef, k)[1];
            for (int i = 0; i < 300; i++) {
                try (ai.djl.ndarray.NDManager step = m.newSubManager()) {
                    NDArray y = step.create(new ai.djl.ndarray.types.Shape(rows * (long) k, out));
                    HostLoraKernel.pairProjection(y, base, x, a, bt, every, null);
                    HostLoraKernel.pairProjection(y, base, x, a, bt, every, weights);
                    NDArray sum = step.zeros(new ai.djl.ndarray.types.Shape(rows, in));
                    HostLoraKernel.addInto(sum, y, bt, a, down);   // out → in: the down projection's direction
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

    /** True when the kernel can compute deltas over pool arrays like {@code a}: fp32 on the CPU, no gradient. */
    static boolean usableFor(NDArray a) {
        return VECTOR_API && a.getDevice().getDeviceType().equals(Device.Type.CPU)
                && a.getDataType() == DataType.FLOAT32 && !a.hasGradient();
    }
}
