package io.adapterplatform.registry;

import io.adapterplatform.embedded.BackendEndpoints;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import java.io.ByteArrayInputStream;
import org.springframework.jdbc.core.simple.JdbcClient;

/** The bucket behind the registry, as tests that damage stored bytes reach it. */
final class StoredObjects {

  private StoredObjects() {}

  /** The object key a committed blob lies at (the blob table's {@code object_key}). */
  static String objectKey(JdbcClient jdbc, String sha256) {
    return jdbc.sql("select object_key from blob where sha256 = ?")
        .param(sha256)
        .query(String.class)
        .single();
  }

  /** Replaces the object at {@code key} with {@code bytes}, behind the registry's back. */
  static void overwrite(BackendEndpoints backends, String key, byte[] bytes) throws Exception {
    var s3 =
        MinioClient.builder()
            .endpoint(backends.s3Endpoint())
            .credentials(backends.s3AccessKey(), backends.s3SecretKey())
            .region(backends.s3Region())
            .build();
    s3.putObject(
        PutObjectArgs.builder().bucket("adapter-registry").object(key).stream(
                new ByteArrayInputStream(bytes), bytes.length, -1)
            .build());
  }
}
