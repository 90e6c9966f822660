package io.adapterplatform.training.storage;

import io.minio.BucketExistsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.errors.ErrorResponseException;

/** The training service's buckets, made on first use by whichever part of it starts first. */
public final class Buckets {

  private Buckets() {}

  /** Creates {@code bucket} unless it exists; a replica creating it at the same moment is fine. */
  public static void ensure(MinioClient client, String bucket) {
    try {
      if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
        client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
      }
    } catch (ErrorResponseException e) {
      String code = e.errorResponse().code();
      if (!"BucketAlreadyOwnedByYou".equals(code) && !"BucketAlreadyExists".equals(code)) {
        throw new IllegalStateException("cannot create bucket " + bucket, e);
      }
    } catch (Exception e) {
      throw new IllegalStateException("cannot reach S3 bucket " + bucket, e);
    }
  }
}
