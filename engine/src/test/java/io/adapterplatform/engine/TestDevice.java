package io.adapterplatform.engine;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import io.adapterplatform.engine.fused.GroupedLora;
import io.adapterplatform.engine.fused.HostKernels;
import io.adapterplatform.engine.model.Devices;

/**
 * The device the numerical tests build their models on: the CPU, unless {@code
 * -Dadapterplatform.device=gpu:0} runs the same float64-reference tests on a GPU
 * (docs/benchmarks.md, "Engine on a GPU").
 */
public final class TestDevice {

  private TestDevice() {}

  public static Device device() {
    return Devices.fromSystemProperty();
  }

  /**
   * Skips a KERNEL case where the host kernel cannot run: no Vector API in the JVM, or a GPU model.
   */
  public static void assumeStrategyRuns(GroupedLora.Strategy strategy) {
    if (strategy == GroupedLora.Strategy.KERNEL) {
      assumeTrue(HostKernels.available(), "the host kernel needs the Vector API module");
      assumeTrue(!device().isGpu(), "the host kernel is a CPU kernel");
    }
  }
}
