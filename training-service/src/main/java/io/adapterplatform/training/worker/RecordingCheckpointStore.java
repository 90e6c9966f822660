package io.adapterplatform.training.worker;

import io.adapterplatform.engine.train.JobCheckpoint;
import io.adapterplatform.training.job.JobReports;
import io.adapterplatform.training.registry.WorkerRegistry;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A worker's checkpoint store: the object store, plus a {@code job_checkpoint} row per checkpoint
 * for {@code GET /jobs/{id}/checkpoints}. {@link #put} only queues the upload and its row in the
 * job's lane (the checkpoint's bytes are taken on the stepping thread, the upload runs beside the
 * next steps); whatever the lane runs for the job later (its progress rows, its publication, the
 * deletion of its checkpoints) comes after. A killed worker ({@code dead}) writes nothing more.
 */
final class RecordingCheckpointStore implements CheckpointStore {

  private final CheckpointStore objects;
  private final JobReports reports;
  private final BooleanSupplier dead;
  private final JobWrites writes;
  private final JobClocks clocks;
  private final Path scratch;

  RecordingCheckpointStore(
      CheckpointStore objects,
      JobReports reports,
      BooleanSupplier dead,
      JobWrites writes,
      JobClocks clocks,
      Path scratch) {
    this.scratch = scratch;
    this.objects = objects;
    this.reports = reports;
    this.dead = dead;
    this.writes = writes;
    this.clocks = clocks;
  }

  @Override
  public void put(String jobId, int step, byte[] checkpoint) {
    store(jobId, step, () -> checkpoint);
  }

  /** Zipping the checkpoint (stored, not deflated: {@link CheckpointZip}) runs in the lane. */
  @Override
  public void put(String jobId, int step, JobCheckpoint checkpoint) {
    store(jobId, step, () -> CheckpointZip.stored(checkpoint, scratch));
  }

  private void store(String jobId, int step, Supplier<byte[]> bytes) {
    if (dead.getAsBoolean()) {
      throw new IllegalStateException("the worker was killed");
    }
    UUID job = UUID.fromString(jobId);
    writes.run(
        job,
        () -> {
          if (dead.getAsBoolean()) {
            return;
          }
          long start = System.nanoTime();
          byte[] checkpoint = bytes.get();
          objects.put(jobId, step, checkpoint);
          reports.checkpoint(job, step, WorkerRegistry.sha256(checkpoint), checkpoint.length);
          clocks.add(job, JobTimings.Phase.CHECKPOINT_STORE, System.nanoTime() - start);
        });
  }

  @Override
  public Optional<StoredCheckpoint> latest(String jobId) {
    return objects.latest(jobId);
  }

  /** Deletes at once: call it from the job's lane, after its uploads. */
  @Override
  public void deleteAll(String jobId) {
    objects.deleteAll(jobId);
    reports.checkpointsDeleted(UUID.fromString(jobId));
  }
}
