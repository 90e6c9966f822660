package io.adapterplatform.training;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * {@code platform.training.*}. The registry's address ({@code platform.training.registry-url}) is
 * not here: its default names the server's own port, known only once the server has started, so
 * {@code registry.RegistryClient} resolves it at each call.
 *
 * @param bucket the bucket datasets are stored in, by sha256
 * @param jobsTopic where submitted jobs are queued for the workers, keyed by base model
 * @param eventsTopic where every state transition, progress, eval point and checkpoint of a job is
 *     published, keyed by job id
 * @param relayInterval the pause between two drains of the outbox
 * @param eventsStreamTimeout how long {@code GET /jobs/{id}/events} stays open waiting for changes
 * @param datasets limits on uploaded datasets
 * @param progressEventInterval the least time between two {@code JOB_PROGRESS} events of one job on
 *     {@code training.events} (its first and last step are always published)
 */
@ConfigurationProperties("platform.training")
public record TrainingProperties(
    @DefaultValue("adapter-training") String bucket,
    @DefaultValue("training.jobs") String jobsTopic,
    @DefaultValue("training.events") String eventsTopic,
    @DefaultValue("250ms") Duration relayInterval,
    @DefaultValue("30s") Duration eventsStreamTimeout,
    @DefaultValue Datasets datasets,
    @DefaultValue("5s") Duration progressEventInterval) {

  /**
   * @param maxFileSize the largest dataset file (413 beyond)
   * @param maxLineSize the longest line of a dataset, in bytes (413 beyond)
   */
  public record Datasets(
      @DefaultValue("1GB") DataSize maxFileSize, @DefaultValue("1MB") DataSize maxLineSize) {}

  /** {@code platform.s3.*}: the S3 endpoint the registry uses too. */
  @ConfigurationProperties("platform.s3")
  public record S3(String endpoint, String accessKey, String secretKey, String region) {}
}
