package io.adapterplatform.training.worker;

import java.util.Optional;

/**
 * Where job checkpoints ({@link io.adapterplatform.engine.train.JobCheckpoint}'s zip bytes) live,
 * so that another worker (or this one after a restart) can resume a job.
 */
public interface CheckpointStore {

  /** Stores the checkpoint of {@code jobId} taken after {@code step} optimizer steps. */
  void put(String jobId, int step, byte[] checkpoint);

  /** The checkpoint of {@code jobId} with the most steps, if any. */
  Optional<StoredCheckpoint> latest(String jobId);

  /** Removes every checkpoint of {@code jobId} (after it finished or was cancelled). */
  void deleteAll(String jobId);

  /** A stored checkpoint and the step it was taken at. */
  record StoredCheckpoint(int step, byte[] bytes) {}
}
