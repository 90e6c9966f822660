package io.adapterplatform.engine.format;

/**
 * How a composed MixLoRA's routers ({@code moe_gate.weight}, F32 [num_experts, hidden] per layer)
 * are initialised: independent normal values with mean 0 and standard deviation {@code std} (the
 * MixLoRA reference's {@code router_init_range}), from a generator fully defined here so that the
 * same seed gives the same bytes on every JVM and release (a registry regenerates composed
 * downloads from the seed): layer {@code i} draws from SplitMix64 started at {@code seed ^ (i ×
 * 0xD1B54A32D192ED03)}, two 53-bit uniforms per Box–Muller pair (cos then sin, with {@link
 * StrictMath}), row-major. Each layer is independent, so a writer makes one layer at a time in
 * whatever order the file needs. Do not change this definition: stored digests depend on it.
 */
public record RouterInit(double std, long seed) {

  public RouterInit {
    if (!(std >= 0) || Double.isInfinite(std)) {
      throw new IllegalArgumentException(
          "router init std must be a finite non-negative number, got " + std);
    }
  }

  /** Per-layer stream separation: an odd 64-bit constant with well-mixed bits. */
  private static final long LAYER_STRIDE = 0xD1B54A32D192ED03L;

  /** The router of one layer, [experts, hidden] row-major. */
  float[] generateLayer(int layer, int experts, int hidden) {
    SplitMix64 rng = new SplitMix64(seed ^ (layer * LAYER_STRIDE));
    float[] out = new float[Math.multiplyExact(experts, hidden)];
    for (int i = 0; i < out.length; i += 2) {
      // Box–Muller on (0, 1] × [0, 1): u1 never 0 so the log is finite. StrictMath (fdlibm) gives
      // the
      // same bits on every JVM and CPU; Math may use intrinsics that differ in the last place.
      double u1 = 1.0 - rng.nextDouble();
      double u2 = rng.nextDouble();
      double radius = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
      out[i] = (float) (std * radius * StrictMath.cos(2 * Math.PI * u2));
      if (i + 1 < out.length) {
        out[i + 1] = (float) (std * radius * StrictMath.sin(2 * Math.PI * u2));
      }
    }
    return out;
  }

  /**
   * Steele, Lea and Flood's SplitMix64, written out so that its output can never change under us.
   */
  static final class SplitMix64 {
    private long state;

    SplitMix64(long seed) {
      this.state = seed;
    }

    long nextLong() {
      long z = (state += 0x9E3779B97F4A7C15L);
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      return z ^ (z >>> 31);
    }

    double nextDouble() {
      return (nextLong() >>> 11) * 0x1.0p-53;
    }
  }
}
