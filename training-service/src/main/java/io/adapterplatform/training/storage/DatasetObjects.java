package io.adapterplatform.training.storage;

import io.adapterplatform.training.TrainingProperties;
import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.springframework.stereotype.Component;

/**
 * The training service's bucket: datasets lie at their content address {@code
 * datasets/sha256/<hex>}, so that the same bytes uploaded twice are stored once. Objects are
 * immutable once written.
 */
@Component
public class DatasetObjects {

  private static final String DATASETS = "datasets/sha256/";

  private final MinioClient client;
  private final String bucket;

  DatasetObjects(TrainingProperties.S3 s3, TrainingProperties properties) {
    this.client =
        MinioClient.builder()
            .endpoint(s3.endpoint())
            .credentials(s3.accessKey(), s3.secretKey())
            .region(s3.region())
            .build();
    this.bucket = properties.bucket();
    Buckets.ensure(client, bucket);
  }

  public static String keyOf(String sha256) {
    return DATASETS + sha256;
  }

  /** Stores a checked file at its content address, unless those bytes are there already. */
  public String put(String sha256, Path file) {
    String key = keyOf(sha256);
    if (exists(key)) {
      return key;
    }
    try (InputStream in = Files.newInputStream(file)) {
      client.putObject(
          PutObjectArgs.builder().bucket(bucket).object(key).stream(in, Files.size(file), -1)
              .contentType("application/jsonl")
              .build());
      return key;
    } catch (Exception e) {
      throw new IllegalStateException("cannot write " + key, e);
    }
  }

  /** The bytes of the dataset stored at {@code sha256}; the caller closes the stream. */
  public InputStream open(String sha256) {
    String key = keyOf(sha256);
    try {
      return client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build());
    } catch (Exception e) {
      throw new IllegalStateException("cannot read " + key, e);
    }
  }

  /** The client of the training service's S3 endpoint (the workers keep checkpoints there). */
  public MinioClient client() {
    return client;
  }

  /** The training service's bucket. */
  public String bucket() {
    return bucket;
  }

  /** Whether {@code key} exists (for tests and the collector to come). */
  public boolean exists(String key) {
    try {
      client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
      return true;
    } catch (ErrorResponseException e) {
      if ("NoSuchKey".equals(e.errorResponse().code())
          || "NoSuchObject".equals(e.errorResponse().code())) {
        return false;
      }
      throw new IllegalStateException("cannot read " + key, e);
    } catch (Exception e) {
      throw new IllegalStateException("cannot read " + key, e);
    }
  }
}
