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
     * Medians of several variants timed round-robin: each repetition runs every variant once, in order, so
     * that a change of background load during the run hits all of them alike and their ratios stay fair.
     */
    static java.util.Map<String, Double> interleavedMedians(int warmup, int reps,
                                                             java.util.Map<String, Runnable> variants) {
        java.util.Map<String, double[]> ms = new java.util.LinkedHashMap<>();
        variants.keySet().forEach(k -> ms.put(k, new double[reps]));
        for (int rep = -warmup; rep < reps; rep++) {
            for (var e : variants.entrySet()) {
                long t0 = System.nanoTime();
                e.getValue().run();
                if (rep >= 0) {
                    ms.get(e.getKey())[rep] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        java.util.Map<String, Double> medians = new java.util.LinkedHashMap<>();
        ms.forEach((k, v) -> medians.put(k, Machine.median(v)));
        return medians;
    }
}
