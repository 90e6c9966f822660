package io.adapterplatform.engine.format;

/**
 * How a composed MixLoRA's routers ({@code moe_gate.weight}, F32 [num_experts, hidden] per layer) are
 * initialised: independent normal values with mean 0 and standard deviation {@code std} (the MixLoRA
 * reference's {@code router_init_range}), from a generator fully defined here so that the same seed gives
 * the same bytes on every JVM: SplitMix64 seeded with {@code seed}, two 53-bit uniforms per Box–Muller
 * pair, filled layer by layer in row-major order.
 */
public record RouterInit(double std, long seed) {

    public RouterInit {
        if (!(std >= 0) || Double.isInfinite(std)) {
            throw new IllegalArgumentException("router init std must be a finite non-negative number, got " + std);
        }
    }

    /** The values of every layer's router, layer by layer, each [experts, hidden] row-major. */
    float[][] generate(int layers, int experts, int hidden) {
        SplitMix64 rng = new SplitMix64(seed);
        float[][] out = new float[layers][experts * hidden];
        for (float[] layer : out) {
            for (int i = 0; i < layer.length; i += 2) {
                // Box–Muller on (0, 1] × [0, 1): u1 never 0 so the log is finite.
                double u1 = 1.0 - rng.nextDouble();
                double u2 = rng.nextDouble();
                double radius = Math.sqrt(-2.0 * Math.log(u1));
                layer[i] = (float) (std * radius * Math.cos(2 * Math.PI * u2));
                if (i + 1 < layer.length) {
                    layer[i + 1] = (float) (std * radius * Math.sin(2 * Math.PI * u2));
                }
            }
        }
        return out;
    }

    /** Steele, Lea and Flood's SplitMix64, written out so that its output can never change under us. */
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
