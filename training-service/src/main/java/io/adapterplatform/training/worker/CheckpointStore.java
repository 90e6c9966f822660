package io.adapterplatform.training.worker;

import io.adapterplatform.engine.train.JobCheckpoint;
import java.util.Optional;

/**
 * Where job checkpoints ({@link io.adapterplatform.engine.train.JobCheckpoint}'s zip bytes) live,
 * so that another worker (or this one after a restart) can resume a job.
 */
public interface CheckpointStore {

  /** Stores the checkpoint of {@code jobId} taken after {@code step} optimizer steps. */
  void put(String jobId, int step, byte[] checkpoint);

  /**
   * Stores {@code checkpoint} (already copied off the device) as its zip bytes; a store may
   * serialise it later, off the stepping thread.
   */
  default void put(String jobId, int step, JobCheckpoint checkpoint) {
    put(jobId, step, checkpoint.toByteArray());
  }

  /** The checkpoint of {@code jobId} with the most steps, if any. */
  Optional<StoredCheckpoint> latest(String jobId);

  /** Removes every checkpoint of {@code jobId} (after it finished or was cancelled). */
  void deleteAll(String jobId);

  /** A stored checkpoint and the step it was taken at. */
  record StoredCheckpoint(int step, byte[] bytes) {}
}
