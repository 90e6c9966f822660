package io.adapterplatform.training.worker;

import io.adapterplatform.training.storage.Buckets;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.messages.Item;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checkpoints in the object store under {@code training/checkpoints/<jobId>/<step>.zip}. Every
 * checkpoint stays until {@link #deleteAll}: the latest is the one with the highest step, so a
 * crash while one is written leaves the previous one usable (an S3 put is atomic anyway).
 */
public final class ObjectStoreCheckpointStore implements CheckpointStore {

  static final String PREFIX = "training/checkpoints/";

  private final MinioClient client;
  private final String bucket;

  /** Uses {@code bucket}, creating it when it does not exist. */
  public ObjectStoreCheckpointStore(MinioClient client, String bucket) {
    this.client = client;
    this.bucket = bucket;
    Buckets.ensure(client, bucket);
  }

  /** The object key of {@code jobId}'s checkpoint after {@code step} steps. */
  public static String key(String jobId, int step) {
    return prefix(jobId) + step + ".zip";
  }

  private static String prefix(String jobId) {
    if (jobId.isBlank() || jobId.contains("/")) {
      throw new IllegalArgumentException("a job id for a checkpoint key cannot contain '/'");
    }
    return PREFIX + jobId + "/";
  }

  @Override
  public void put(String jobId, int step, byte[] checkpoint) {
    String key = key(jobId, step);
    try {
      client.putObject(
          PutObjectArgs.builder().bucket(bucket).object(key).stream(
                  new ByteArrayInputStream(checkpoint), checkpoint.length, -1)
              .contentType("application/zip")
              .build());
    } catch (Exception e) {
      throw new IllegalStateException("cannot store checkpoint " + key, e);
    }
  }

  @Override
  public Optional<StoredCheckpoint> latest(String jobId) {
    int best = -1;
    for (String key : keys(jobId)) {
      best = Math.max(best, stepOf(key, jobId));
    }
    if (best < 0) {
      return Optional.empty();
    }
    String key = key(jobId, best);
    try (InputStream in =
        client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
      return Optional.of(new StoredCheckpoint(best, in.readAllBytes()));
    } catch (Exception e) {
      throw new IllegalStateException("cannot read checkpoint " + key, e);
    }
  }

  @Override
  public void deleteAll(String jobId) {
    for (String key : keys(jobId)) {
      try {
        client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build());
      } catch (Exception e) {
        throw new IllegalStateException("cannot remove checkpoint " + key, e);
      }
    }
  }

  private List<String> keys(String jobId) {
    String prefix = prefix(jobId);
    List<String> keys = new ArrayList<>();
    try {
      for (Result<Item> r :
          client.listObjects(
              ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true).build())) {
        keys.add(r.get().objectName());
      }
    } catch (Exception e) {
      throw new IllegalStateException("cannot list checkpoints under " + prefix, e);
    }
    return keys;
  }

  // -1 for a key that is not <step>.zip (left there by something else: ignored)
  private static int stepOf(String key, String jobId) {
    String name = key.substring(prefix(jobId).length());
    if (!name.endsWith(".zip") || name.contains("/")) {
      return -1;
    }
    try {
      return Integer.parseInt(name.substring(0, name.length() - ".zip".length()));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
