package io.adapterplatform.engine.fused;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * How an {@link AdapterPool} keeps its adapters' A and B matrices.
 *
 * <p>A decode step over many distinct adapters streams every one of them once, so its cost above
 * the base step is their bytes divided by the memory bandwidth: {@link #BF16} halves both that cost
 * and the pool's memory (twice the adapters per pod). It is exact for adapters whose weights are
 * bf16 values (files saved in BF16, as most adapters trained on a bf16 base are); other weights are
 * rounded to the nearest bf16 (relative error at most 2⁻⁹ per weight). Arithmetic stays fp32: the
 * host kernel widens each weight in registers. Routers and DoRA factors stay fp32.
 */
public enum PoolStorage {
  /** Every weight as given (the default). */
  FP32,
  /**
   * 16-bit brain floats, read by the host kernel only: CPU, a JVM with {@code
   * jdk.incubator.vector}, and the {@link GroupedLora.Strategy#KERNEL} or AUTO strategy (the DJL
   * strategies need fp32 operands).
   */
  BF16;

  /**
   * A bf16 pool's weights are raw bytes (see {@link AdapterPool}): two per weight in the last
   * dimension. Here and not in {@link HostLoraKernel}: code that runs without the Vector API asks
   * it too, and loading the kernel class there fails with {@code NoClassDefFoundError:
   * jdk/incubator/vector/Vector}.
   */
  static boolean isBf16(NDArray weights) {
    return weights.getDataType() == DataType.UINT8;
  }
}
