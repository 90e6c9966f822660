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

    private HostKernels() {
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
