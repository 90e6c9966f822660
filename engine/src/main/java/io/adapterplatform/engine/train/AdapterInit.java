package io.adapterplatform.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;

/**
 * Initialisation of trainable adapter parameters as PEFT and MixLoRA do it, drawn from a seeded
 * generator so that a job's start is reproducible (and identical fused or alone).
 *
 * <ul>
 *   <li>LoRA A [rank, in]: {@code kaiming_uniform_(a = √5)}, i.e. U(−b, b) with {@code b = gain ·
 *       √(3 / fan_in)}, {@code gain = √(2 / (1 + a²))}, which is exactly {@code 1 / √in};
 *   <li>LoRA B [out, rank]: zeros, so a fresh adapter leaves the model unchanged;
 *   <li>DoRA magnitude [out]: the row norm of W (+ s·B·A, which is 0 at start), per output feature;
 *   <li>MixLoRA router [experts, hidden]: N(0, router_init_range²).
 * </ul>
 */
public final class AdapterInit {

  private AdapterInit() {}

  /** The Kaiming-uniform bound PEFT uses for LoRA A: {@code 1 / √fanIn}. */
  public static double loraABound(int fanIn) {
    double a = Math.sqrt(5);
    double gain = Math.sqrt(2.0 / (1 + a * a));
    return gain * Math.sqrt(3.0 / fanIn);
  }

  /** LoRA A, [rank, in], float32. */
  public static NDArray loraA(NDManager manager, int rank, int in, SplittableRandom rng) {
    double bound = loraABound(in);
    float[] values = new float[rank * in];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (bound * (2 * rng.nextDouble() - 1));
    }
    return manager.create(values, new Shape(rank, in));
  }

  /** LoRA B, [out, rank], zeros. */
  public static NDArray loraB(NDManager manager, int out, int rank) {
    return manager.zeros(new Shape(out, rank), DataType.FLOAT32);
  }

  /** DoRA magnitude, [out]: the L2 norm of each row of W [out, in]. */
  public static NDArray doraMagnitude(NDArray baseWeight) {
    return baseWeight.toType(DataType.FLOAT32, false).norm(new int[] {1});
  }

  /** MixLoRA router, [experts, hidden], N(0, range²). */
  public static NDArray router(
      NDManager manager, int experts, int hidden, double initRange, SplittableRandom rng) {
    float[] values = new float[experts * hidden];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (initRange * rng.nextGaussian());
    }
    return manager.create(values, new Shape(experts, hidden));
  }
}
