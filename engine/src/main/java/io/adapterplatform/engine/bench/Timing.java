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
}
