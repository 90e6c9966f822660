package io.adapterplatform.engine.adapter;

/**
 * One low-rank pair on one projection: A [rank, in] and B [out, rank], row-major fp32 (PEFT's
 * {@code lora_A.weight} and {@code lora_B.weight}). The delta it adds is {@code scaling · B A x}.
 */
public record LoraPair(int rank, int in, int out, float[] a, float[] b) {

  public LoraPair {
    if (rank <= 0 || in <= 0 || out <= 0) {
      throw new IllegalArgumentException(
          "rank, in and out must be positive: " + rank + ", " + in + ", " + out);
    }
    if (a.length != rank * in) {
      throw new IllegalArgumentException(
          "lora_A has " + a.length + " values, expected [" + rank + ", " + in + "]");
    }
    if (b.length != out * rank) {
      throw new IllegalArgumentException(
          "lora_B has " + b.length + " values, expected [" + out + ", " + rank + "]");
    }
  }
}
