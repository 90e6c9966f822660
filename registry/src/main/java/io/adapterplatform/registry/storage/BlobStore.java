package io.adapterplatform.registry.storage;

import io.minio.BucketExistsArgs;
import io.minio.CopyObjectArgs;
import io.minio.CopySource;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.Item;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.stereotype.Component;

/**
 * The bucket: {@code staging/<upload>/<n>} for bytes not yet committed, {@code blobs/sha256/<hex>} for
 * committed, content-addressed, immutable blobs.
 */
@Component
@EnableConfigurationProperties({S3Properties.class, StorageProperties.class})
public class BlobStore {

  static final String STAGING = "staging/";
  static final String BLOBS = "blobs/sha256/";
  /** Multipart part size of streamed puts: the only per-upload buffer on the heap. */
  private static final long PART_SIZE = 8L * 1024 * 1024;

  private final MinioClient client;
  private final String bucket;

  BlobStore(S3Properties s3, StorageProperties storage) {
    this.client = MinioClient.builder().endpoint(s3.endpoint()).credentials(s3.accessKey(), s3.secretKey())
        .region(s3.region()).build();
    this.bucket = storage.bucket();
    ensureBucket();
  }

  private void ensureBucket() {
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

  public String newUploadPrefix() {
    return STAGING + UUID.randomUUID() + "/";
  }

  /** Streams {@code in} to a staging key of unknown length; heap use is one part. */
  public void putStaging(String key, InputStream in) {
    try {
      client.putObject(PutObjectArgs.builder().bucket(bucket).object(key).stream(in, -1, PART_SIZE)
          .contentType("application/octet-stream").build());
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new StorageException("cannot write " + key, e);
    }
  }

  /** Server-side copy of a staged object to its content address, skipped when that blob already exists. */
  public void promote(String stagingKey, String sha256) {
    String target = blobKey(sha256);
    try {
      if (exists(target)) {
        return;
      }
      client.copyObject(CopyObjectArgs.builder().bucket(bucket).object(target)
          .source(CopySource.builder().bucket(bucket).object(stagingKey).build()).build());
    } catch (Exception e) {
      throw new StorageException("cannot commit " + stagingKey + " as " + target, e);
    }
  }

  public InputStream openBlob(String sha256, long offset) {
    try {
      var args = GetObjectArgs.builder().bucket(bucket).object(blobKey(sha256));
      if (offset > 0) {
        args.offset(offset);
      }
      return client.getObject(args.build());
    } catch (Exception e) {
      throw new StorageException("cannot read blob " + sha256, e);
    }
  }

  /** {@code length} bytes of a blob from {@code offset} (a ranged GET). */
  public InputStream openRange(String sha256, long offset, long length) {
    try {
      return client.getObject(GetObjectArgs.builder().bucket(bucket).object(blobKey(sha256)).offset(offset)
          .length(length).build());
    } catch (Exception e) {
      throw new StorageException("cannot read blob " + sha256, e);
    }
  }

  /** Stores small bytes directly at their content address (idempotent: the key is the hash). */
  public void putBlob(byte[] bytes, String sha256) {
    if (exists(blobKey(sha256))) {
      return;
    }
    try {
      client.putObject(PutObjectArgs.builder().bucket(bucket).object(blobKey(sha256))
          .stream(new java.io.ByteArrayInputStream(bytes), bytes.length, -1).contentType("application/octet-stream").build());
    } catch (Exception e) {
      throw new StorageException("cannot write blob " + sha256, e);
    }
  }

  public void remove(String key) {
    try {
      client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build());
    } catch (Exception e) {
      throw new StorageException("cannot remove " + key, e);
    }
  }

  /** Removes what lies under a staging prefix (an upload's leftovers); best effort. */
  public void removeStaging(String prefix) {
    for (var key : list(prefix, Instant.MAX)) {
      try {
        remove(key);
      } catch (StorageException ignored) {
        // the collector will find it again
      }
    }
  }

  /** Keys under {@code prefix} last modified before {@code before}. */
  List<String> list(String prefix, Instant before) {
    var keys = new ArrayList<String>();
    try {
      for (var r : client.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true).build())) {
        Item item = r.get();
        if (item.isDir()) {
          continue;
        }
        if (item.lastModified() == null || item.lastModified().toInstant().isBefore(before)) {
          keys.add(item.objectName());
        }
      }
    } catch (Exception e) {
      throw new StorageException("cannot list " + prefix, e);
    }
    return keys;
  }

  /** A listed object: its key, size and last-modified time. */
  record Listed(String key, long size, Instant lastModified) {}

  /** Objects under {@code prefix} last modified before {@code before}, with their sizes. */
  List<Listed> listWithSizes(String prefix, Instant before) {
    var items = new ArrayList<Listed>();
    try {
      for (var r : client.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true).build())) {
        Item item = r.get();
        if (item.isDir() || item.lastModified() == null) {
          continue; // no time: cannot prove it is older than the grace, so it is kept
        }
        Instant modified = item.lastModified().toInstant();
        if (modified.isBefore(before)) {
          items.add(new Listed(item.objectName(), item.size(), modified));
        }
      }
    } catch (Exception e) {
      throw new StorageException("cannot list " + prefix, e);
    }
    return items;
  }

  public boolean exists(String key) {
    try {
      client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
      return true;
    } catch (ErrorResponseException e) {
      if ("NoSuchKey".equals(e.errorResponse().code()) || "NotFound".equals(e.errorResponse().code())) {
        return false;
      }
      throw new StorageException("cannot stat " + key, e);
    } catch (Exception e) {
      throw new StorageException("cannot stat " + key, e);
    }
  }

  public static String blobKey(String sha256) {
    return BLOBS + sha256;
  }

  /** An object-store failure: not the caller's fault (answered 503 by the problem advice). */
  public static final class StorageException extends RuntimeException {
    StorageException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
