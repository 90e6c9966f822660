package io.adapterplatform.engine.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * What the machine can do, measured with DJL in the same run as the benchmark, and process memory.
 */
final class Machine {

  private Machine() {}

  /** fp32 GEMM rate: median over {@code reps} n×n·n×n products, 2n³ flops each. */
  static double matmulGflops(NDManager manager, int n, int warmup, int reps) {
    try (NDManager m = manager.newSubManager()) {
      NDArray a = m.randomUniform(-1f, 1f, new Shape(n, n));
      NDArray b = m.randomUniform(-1f, 1f, new Shape(n, n));
      double ms =
          Timing.medianMillis(
              warmup,
              reps,
              () -> {
                try (NDArray c = a.matMul(b)) {
                  c.getFloat(0, 0); // eager on CPU; reading one value makes the wait explicit
                }
              });
      return 2.0 * n * n * n / (ms / 1e3) / 1e9;
    }
  }

  /**
   * Read bandwidth: median time to sum a {@code megabytes}-MB fp32 array (every byte read once).
   */
  static double readBandwidthGBs(NDManager manager, int megabytes, int warmup, int reps) {
    long floats = megabytes * 1024L * 1024L / 4;
    try (NDManager m = manager.newSubManager()) {
      NDArray a = m.ones(new Shape(floats));
      double ms =
          Timing.medianMillis(
              warmup,
              reps,
              () -> {
                try (NDArray s = a.sum()) {
                  s.getFloat();
                }
              });
      return floats * 4.0 / (ms / 1e3) / 1e9;
    }
  }

  /**
   * What CUDA says of the GPU (compute capability, memory, CUDA version); an "error" entry where it
   * cannot.
   */
  static java.util.Map<String, Object> gpu(ai.djl.Device device) {
    java.util.Map<String, Object> gpu = new java.util.LinkedHashMap<>();
    try {
      gpu.put(
          "compute_capability",
          ai.djl.util.cuda.CudaUtils.getComputeCapability(device.getDeviceId()));
      gpu.put("memory_mib", ai.djl.util.cuda.CudaUtils.getGpuMemory(device).getMax() / 1048576);
      gpu.put("cuda_runtime", ai.djl.util.cuda.CudaUtils.getCudaVersionString());
    } catch (RuntimeException | LinkageError e) {
      gpu.put("error", String.valueOf(e.getMessage()));
    }
    return gpu;
  }

  /**
   * GPU memory in use on the device (cudaMemGetInfo: total - free), in MiB; -1 where unavailable.
   * PyTorch's caching allocator keeps what it reserved, so after {@link #emptyGpuCache()} and one
   * round of work this is that round's peak reservation (with whatever stayed live from before).
   */
  static double gpuUsedMiB(ai.djl.Device device) {
    try {
      return ai.djl.util.cuda.CudaUtils.getGpuMemory(device).getCommitted() / 1048576.0;
    } catch (RuntimeException | LinkageError e) {
      return -1;
    }
  }

  /**
   * Hands PyTorch's cached free GPU blocks back to CUDA, so that the next reading starts from live
   * tensors.
   */
  static void emptyGpuCache() {
    ai.djl.pytorch.jni.JniUtils.emptyCudaCache();
  }

  /**
   * Resets the kernel's peak-RSS mark (Linux: "5" into /proc/self/clear_refs); false where
   * unsupported.
   */
  static boolean resetPeakRss() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      return true;
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return false;
    }
  }

  /** Peak resident set size since the last reset (VmHWM), in MiB; -1 where unavailable. */
  static double peakRssMiB() {
    return statusKiB("VmHWM:") / 1024.0;
  }

  /** Current resident set size (VmRSS), in MiB; -1 where unavailable. */
  static double rssMiB() {
    return statusKiB("VmRSS:") / 1024.0;
  }

  private static long statusKiB(String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(key)) {
          return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1024;
    }
    return -1024;
  }

  /**
   * The 1-minute load average (other processes compete for the cores on a shared machine); -1 if
   * unknown.
   */
  static double loadAverage() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** The CPU model name from /proc/cpuinfo, or the OS architecture. */
  static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
          .filter(l -> l.startsWith("model name"))
          .map(l -> l.substring(l.indexOf(':') + 1).trim())
          .findFirst()
          .orElse(System.getProperty("os.arch"));
    } catch (IOException e) {
      return System.getProperty("os.arch");
    }
  }

  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
}
