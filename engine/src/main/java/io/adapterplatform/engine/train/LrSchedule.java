package io.adapterplatform.engine.train;

/**
 * Learning-rate schedule: linear warm-up, then constant, linear or cosine decay to zero at {@code
 * totalSteps}.
 *
 * <p>Steps are counted from 0 (the first optimizer step is step 0). During warm-up the factor is
 * {@code (step + 1) / warmupSteps}, so the first step already moves the weights (Hugging Face's
 * schedulers give step 0 a learning rate of 0; we do not waste that step). After warm-up, {@code
 * progress = (step - warmupSteps) / max(1, totalSteps - warmupSteps)}, clamped to [0, 1].
 *
 * @param peak the learning rate reached at the end of warm-up
 * @param warmupSteps steps of linear warm-up (0 for none)
 * @param totalSteps the step at which linear and cosine decay reach 0
 * @param decay what follows the warm-up
 */
public record LrSchedule(double peak, int warmupSteps, int totalSteps, Decay decay) {

  /** What follows the warm-up. */
  public enum Decay {
    CONSTANT,
    LINEAR,
    COSINE
  }

  public LrSchedule {
    if (!(peak >= 0) || warmupSteps < 0 || totalSteps < 0) {
      throw new IllegalArgumentException(
          "learning-rate schedule needs peak >= 0, warmupSteps >= 0, totalSteps >= 0");
    }
    if (decay == null) {
      throw new IllegalArgumentException("learning-rate schedule needs a decay kind");
    }
  }

  /** A constant learning rate without warm-up. */
  public static LrSchedule constant(double lr) {
    return new LrSchedule(lr, 0, 0, Decay.CONSTANT);
  }

  /** The learning rate of optimizer step {@code step} (0-based). */
  public double at(int step) {
    if (step < warmupSteps) {
      return peak * (step + 1) / warmupSteps;
    }
    double progress =
        Math.min(
            1.0,
            Math.max(0.0, (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps)));
    return switch (decay) {
      case CONSTANT -> peak;
      case LINEAR -> peak * (1.0 - progress);
      case COSINE -> peak * 0.5 * (1.0 + Math.cos(Math.PI * progress));
    };
  }
}
