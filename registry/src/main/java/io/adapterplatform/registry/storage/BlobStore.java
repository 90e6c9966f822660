package io.adapterplatform.registry.storage;

import io.minio.BucketExistsArgs;
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
 * The bucket. An upload streams each file to {@code blobs/u/<upload>/<n>}, and a committed blob
 * stays where it was written: the blob table maps its sha256 to that key, so that committing costs
 * no copy. Small generated blobs, and every blob committed before uploads kept their key, lie at
 * their content address {@code blobs/sha256/<hex>}; {@code staging/} holds what older versions left
 * uncommitted. Objects are immutable once written.
 */
@Component
@EnableConfigurationProperties({S3Properties.class, StorageProperties.class})
public class BlobStore {

  static final String STAGING = "staging/";

  /** Every committed object, and every upload that may become one, lies under this prefix. */
  static final String BLOB_OBJECTS = "blobs/";

  static final String BLOBS = "blobs/sha256/";
  static final String UPLOADS = "blobs/u/";

  /** Multipart part size of streamed puts: the only per-upload buffer on the heap. */
  private static final long PART_SIZE = 8L * 1024 * 1024;

  private final MinioClient client;
  private final String bucket;
  private final BlobLocations locations;

  BlobStore(S3Properties s3, StorageProperties storage, BlobLocations locations) {
    this.locations = locations;
    this.client =
        MinioClient.builder()
            .endpoint(s3.endpoint())
            .credentials(s3.accessKey(), s3.secretKey())
            .region(s3.region())
            .build();
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
    return UPLOADS + UUID.randomUUID() + "/";
  }

  /** Streams {@code in} to an upload's key, length unknown; heap use is one part. */
  public void putStaging(String key, InputStream in) {
    try {
      client.putObject(
          PutObjectArgs.builder().bucket(bucket).object(key).stream(in, -1, PART_SIZE)
              .contentType("application/octet-stream")
              .build());
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new StorageException("cannot write " + key, e);
    }
  }

  public InputStream openBlob(String sha256, long offset) {
    return open(sha256, offset, -1);
  }

  /** {@code length} bytes of a blob from {@code offset} (a ranged GET). */
  public InputStream openRange(String sha256, long offset, long length) {
    return open(sha256, offset, length);
  }

  private InputStream open(String sha256, long offset, long length) {
    try {
      return client.getObject(readArgs(locations.keyOf(sha256), offset, length));
    } catch (ErrorResponseException e) {
      if (!isMissing(e)) {
        throw new StorageException("cannot read blob " + sha256, e);
      }
      // The remembered key may name an object the collector removed since (and the blob was
      // uploaded again).
      locations.forget(sha256);
      try {
        return client.getObject(readArgs(locations.keyOf(sha256), offset, length));
      } catch (Exception retry) {
        throw new StorageException("cannot read blob " + sha256, retry);
      }
    } catch (Exception e) {
      throw new StorageException("cannot read blob " + sha256, e);
    }
  }

  private GetObjectArgs readArgs(String key, long offset, long length) {
    var args = GetObjectArgs.builder().bucket(bucket).object(key);
    if (offset > 0 || length >= 0) {
      args.offset(offset);
    }
    if (length >= 0) {
      args.length(length);
    }
    return args.build();
  }

  /**
   * Stores small bytes at their content address (idempotent: the key is the hash); record it with
   * that key.
   */
  public void putBlob(byte[] bytes, String sha256) {
    if (exists(blobKey(sha256))) {
      return;
    }
    try {
      client.putObject(
          PutObjectArgs.builder().bucket(bucket).object(blobKey(sha256)).stream(
                  new java.io.ByteArrayInputStream(bytes), bytes.length, -1)
              .contentType("application/octet-stream")
              .build());
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
      for (var r :
          client.listObjects(
              ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true).build())) {
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
      for (var r :
          client.listObjects(
              ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true).build())) {
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
      if (isMissing(e)) {
        return false;
      }
      throw new StorageException("cannot stat " + key, e);
    } catch (Exception e) {
      throw new StorageException("cannot stat " + key, e);
    }
  }

  private static boolean isMissing(ErrorResponseException e) {
    return "NoSuchKey".equals(e.errorResponse().code())
        || "NotFound".equals(e.errorResponse().code());
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
