package io.adapterplatform.engine.train;

/**
 * How one job trains: seed (initialisation, data order and jitter all derive from it), sequences
 * per step, optimizer and schedule.
 */
public record TrainingConfig(long seed, int batchSize, AdamW.Hyper optimizer, LrSchedule schedule) {

  public TrainingConfig {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
    }
    if (optimizer == null || schedule == null) {
      throw new IllegalArgumentException(
          "a training configuration needs an optimizer and a schedule");
    }
  }
}
