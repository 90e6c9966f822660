package io.adapterplatform.engine.bench;

/** Warm-up, repetitions, median: the only way this benchmark times anything. */
final class Timing {

  private Timing() {}

  static double medianMillis(int warmup, int reps, Runnable body) {
    for (int i = 0; i < warmup; i++) {
      body.run();
    }
    double[] ms = new double[reps];
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      body.run();
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    return Machine.median(ms);
  }

  /**
   * Medians of several variants timed round-robin: each repetition runs every variant once, in
   * order, so that a change of background load during the run hits all of them alike and their
   * ratios stay fair.
   */
  static java.util.Map<String, Double> interleavedMedians(
      int warmup, int reps, java.util.Map<String, Runnable> variants) {
    java.util.Map<String, Double> medians = new java.util.LinkedHashMap<>();
    interleaved(warmup, reps, variants).forEach((k, v) -> medians.put(k, Machine.median(v)));
    return medians;
  }

  /**
   * Every repetition's milliseconds per variant, timed round-robin as in {@link
   * #interleavedMedians}, after {@link #warmUntilCompiled} warm-up rounds.
   */
  static java.util.Map<String, double[]> interleaved(
      int warmup, int reps, java.util.Map<String, Runnable> variants) {
    warmUntilCompiled(warmup, () -> variants.values().forEach(Runnable::run));
    java.util.Map<String, double[]> ms = new java.util.LinkedHashMap<>();
    variants.keySet().forEach(k -> ms.put(k, new double[reps]));
    for (int rep = 0; rep < reps; rep++) {
      for (var e : variants.entrySet()) {
        long t0 = System.nanoTime();
        e.getValue().run();
        ms.get(e.getKey())[rep] = (System.nanoTime() - t0) / 1e6;
      }
    }
    return ms;
  }

  /** Warm-up rounds added at most beyond the asked ones while the JIT is still compiling. */
  static final int MAX_EXTRA_WARMUP = 6;

  /** A round that made the JIT compile for less than this is taken as "compiled". */
  private static final long QUIET_COMPILE_MS = 20;

  /**
   * Runs {@code round} {@code warmup} times (once at least: whether the JIT is still busy shows
   * only after a round), then again while the last round still kept the JIT compiling (at most
   * {@link #MAX_EXTRA_WARMUP} more). On a 2-core machine C2 compiles on a core the timed code would
   * use: a run measured 1.25 s of compilation inside its timed MixLoRA rounds after 3 warm-up
   * rounds. Returns the rounds run.
   */
  static int warmUntilCompiled(int warmup, Runnable round) {
    var jit = java.lang.management.ManagementFactory.getCompilationMXBean();
    boolean measurable = jit != null && jit.isCompilationTimeMonitoringSupported();
    int rounds = 0;
    long before = measurable ? jit.getTotalCompilationTime() : 0;
    while (rounds < warmup + MAX_EXTRA_WARMUP) {
      round.run();
      rounds++;
      long now = measurable ? jit.getTotalCompilationTime() : 0;
      boolean quiet = !measurable || now - before < QUIET_COMPILE_MS;
      before = now;
      if (rounds >= warmup && quiet) {
        break;
      }
    }
    return rounds;
  }

  /**
   * The median over repetitions of {@code variant[i] / baseline[i]}: each ratio compares two runs
   * made one right after the other, so a slow spell of the machine (a noisy neighbour on a VM) that
   * hits one round moves that round's ratio less than it moves one variant's median.
   */
  static double medianOfRoundRatios(double[] variant, double[] baseline) {
    double[] ratios = new double[variant.length];
    for (int i = 0; i < ratios.length; i++) {
      ratios[i] = variant[i] / baseline[i];
    }
    return Machine.median(ratios);
  }
}
