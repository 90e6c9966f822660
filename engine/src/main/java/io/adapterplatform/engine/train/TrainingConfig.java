package io.adapterplatform.engine.train;

/**
 * How one job trains: seed (initialisation, data order, dropout and jitter all derive from it),
 * sequences per micro-batch, micro-batches per optimizer step, optimizer and schedule.
 *
 * @param seed the job's seed
 * @param batchSize sequences per micro-batch (one forward pass)
 * @param optimizer AdamW's settings
 * @param schedule the learning-rate schedule; its {@code totalSteps} should be the job's length in
 *     optimizer steps (see {@link #stepsForEpochs})
 * @param gradientAccumulation micro-batches whose gradients add up to one optimizer step (1: none).
 *     The loss of a step is normalised by the completion tokens of all its micro-batches, so the
 *     step equals one batch of {@code batchSize × gradientAccumulation} sequences (the load-balance
 *     loss of a MixLoRA job, not linear in the batch, is averaged over the micro-batches instead).
 */
public record TrainingConfig(
    long seed,
    int batchSize,
    AdamW.Hyper optimizer,
    LrSchedule schedule,
    int gradientAccumulation) {

  /** Without gradient accumulation. */
  public TrainingConfig(long seed, int batchSize, AdamW.Hyper optimizer, LrSchedule schedule) {
    this(seed, batchSize, optimizer, schedule, 1);
  }

  public TrainingConfig {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
    }
    if (gradientAccumulation <= 0) {
      throw new IllegalArgumentException(
          "gradient accumulation must be positive, got " + gradientAccumulation);
    }
    if (optimizer == null || schedule == null) {
      throw new IllegalArgumentException(
          "a training configuration needs an optimizer and a schedule");
    }
  }

  /** Sequences per optimizer step: {@code batchSize × gradientAccumulation}. */
  public int sequencesPerStep() {
    return batchSize * gradientAccumulation;
  }

  /**
   * Optimizer steps that take {@code epochs} passes over {@code examples} sequences at {@code
   * sequencesPerStep} per step: {@code ceil(epochs × examples / sequencesPerStep)}, at least 1. The
   * data order runs on across epoch boundaries (a step may take the end of one epoch and the start
   * of the next), so a job of this many steps sees every example {@code epochs} times, the last
   * step possibly a few more.
   */
  public static int stepsForEpochs(double epochs, int examples, int sequencesPerStep) {
    if (!(epochs > 0) || examples <= 0 || sequencesPerStep <= 0) {
      throw new IllegalArgumentException(
          "epochs, examples and sequences per step must be positive");
    }
    return Math.max(1, (int) Math.ceil(epochs * examples / sequencesPerStep - 1e-9));
  }
}
