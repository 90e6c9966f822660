package io.adapterplatform.training.worker;

import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The workers' part of {@code platform.training.*}.
 *
 * @param role what this process runs: {@code api} (the HTTP API only, no consumer), {@code worker}
 *     (a worker; the read API is served too) or {@code all} (both: {@code bin/platform up}); the
 *     Helm chart sets {@code PLATFORM_TRAINING_ROLE}
 * @param maxFusedJobs the most jobs of one base model trained in one fused step
 * @param maxAttempts claims of one job before it FAILS with the last reason
 * @param worker how a worker claims, heartbeats and where it works
 */
@ConfigurationProperties("platform.training")
public record WorkerSettings(
    @DefaultValue("all") Role role,
    @DefaultValue("4") int maxFusedJobs,
    @DefaultValue("3") int maxAttempts,
    @DefaultValue Worker worker) {

  public enum Role {
    API,
    WORKER,
    ALL;

    public boolean runsWorker() {
      return this != API;
    }
  }

  public WorkerSettings {
    if (maxFusedJobs < 1) {
      throw new IllegalArgumentException("platform.training.max-fused-jobs must be at least 1");
    }
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("platform.training.max-attempts must be at least 1");
    }
  }

  /**
   * @param id this worker's name in the job rows (default: host name and a random suffix)
   * @param registryToken the bearer token the worker publishes with (TRAINER and PUBLISHER, or
   *     ADMIN); default: {@code platform.auth.admin-token}, else the registry's generated admin
   *     token file (one JVM)
   * @param lease how long a claim holds without a heartbeat; a dead worker's jobs wait this long
   * @param heartbeat how often a worker renews its leases (well under {@code lease})
   * @param pollInterval how often an idle worker looks for claimable jobs (Kafka wakes it sooner)
   * @param fuseWindow how long a newly loaded base model waits for more jobs before its first step
   * @param maxBaseModels base models one worker keeps loaded at once
   * @param idleModelLinger how long a base model with no job stays loaded, so that the next job on
   *     it does not pay for downloading, verifying and loading it again (a model needed in its
   *     place is loaded at once)
   * @param groupId the Kafka consumer group of the workers on {@code training.jobs}
   * @param workDir where base models are downloaded and adapters exported (default: a temporary
   *     directory)
   * @param writeThreads threads that write a worker's progress rows, upload its checkpoints and
   *     publish its finished jobs beside the next training steps (each job's writes in order); 0
   *     writes them on the stepping thread, between steps
   * @param stepRowsInterval how long a job's step rows (progress, loss curve, SSE events) are
   *     gathered before they are written in one transaction; its first and last step, and every
   *     step before another write about the job, are written at once; 0 writes every step
   */
  public record Worker(
      @Nullable String id,
      @Nullable String registryToken,
      @DefaultValue("60s") Duration lease,
      @DefaultValue("10s") Duration heartbeat,
      @DefaultValue("1s") Duration pollInterval,
      @DefaultValue("1s") Duration fuseWindow,
      @DefaultValue("2") int maxBaseModels,
      @DefaultValue("60s") Duration idleModelLinger,
      @DefaultValue("training-workers") String groupId,
      @Nullable Path workDir,
      @DefaultValue("4") int writeThreads,
      @DefaultValue("1s") Duration stepRowsInterval) {

    public Worker {
      if (stepRowsInterval.isNegative()) {
        throw new IllegalArgumentException(
            "platform.training.worker.step-rows-interval must not be negative");
      }
      if (writeThreads < 0) {
        throw new IllegalArgumentException(
            "platform.training.worker.write-threads must be 0 or more");
      }
    }
  }
}
