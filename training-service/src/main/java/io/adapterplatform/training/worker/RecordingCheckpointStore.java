package io.adapterplatform.training.worker;

import io.adapterplatform.training.job.JobReports;
import io.adapterplatform.training.registry.WorkerRegistry;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/**
 * A worker's checkpoint store: the object store, plus a {@code job_checkpoint} row per checkpoint
 * for {@code GET /jobs/{id}/checkpoints}. A killed worker ({@code dead}) writes nothing more.
 */
final class RecordingCheckpointStore implements CheckpointStore {

  private final CheckpointStore objects;
  private final JobReports reports;
  private final BooleanSupplier dead;

  RecordingCheckpointStore(CheckpointStore objects, JobReports reports, BooleanSupplier dead) {
    this.objects = objects;
    this.reports = reports;
    this.dead = dead;
  }

  @Override
  public void put(String jobId, int step, byte[] checkpoint) {
    if (dead.getAsBoolean()) {
      throw new IllegalStateException("the worker was killed");
    }
    objects.put(jobId, step, checkpoint);
    reports.checkpoint(
        UUID.fromString(jobId), step, WorkerRegistry.sha256(checkpoint), checkpoint.length);
  }

  @Override
  public Optional<StoredCheckpoint> latest(String jobId) {
    return objects.latest(jobId);
  }

  @Override
  public void deleteAll(String jobId) {
    objects.deleteAll(jobId);
    reports.checkpointsDeleted(UUID.fromString(jobId));
  }
}
