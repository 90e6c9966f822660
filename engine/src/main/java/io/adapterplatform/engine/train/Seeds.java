package io.adapterplatform.engine.train;

/**
 * Seeds of a job's per-step generators, derived from the job's stream seed and a position, so that
 * a generator never depends on how much was drawn before it.
 */
final class Seeds {

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private Seeds() {}

  /** A well-mixed seed for (stream, a, b): SplitMix64's finaliser applied twice. */
  static long mix(long stream, long a, long b) {
    return mix64(mix64(stream + (a + 1) * GOLDEN) + (b + 1) * GOLDEN);
  }

  private static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
