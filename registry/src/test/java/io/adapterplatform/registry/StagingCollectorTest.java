package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.embedded.BackendEndpoints;
import io.adapterplatform.registry.storage.StagingCollector;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;
import java.io.ByteArrayInputStream;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

class StagingCollectorTest extends RegistryTestBase {

  @Autowired StagingCollector collector;
  @Autowired org.springframework.jdbc.core.simple.JdbcClient jdbc;

  @Test
  void removesLeftoverStagingObjectsButNeverCommittedBlobs(BackendEndpoints backends)
      throws Exception {
    String name = newAdapter();
    var v = publishLora(name, 5);
    var s3 =
        MinioClient.builder()
            .endpoint(backends.s3Endpoint())
            .credentials(backends.s3AccessKey(), backends.s3SecretKey())
            .region(backends.s3Region())
            .build();
    // What a registry that crashed between staging and commit leaves behind
    String leftover = "staging/crashed-" + unique() + "/0";
    s3.putObject(
        PutObjectArgs.builder().bucket("adapter-registry").object(leftover).stream(
                new ByteArrayInputStream(new byte[] {1, 2, 3}), 3, -1)
            .build());

    int removed = collector.collect(Instant.now().plusSeconds(60));

    assertThat(removed).isGreaterThanOrEqualTo(1);
    assertThat(exists(s3, leftover)).isFalse();
    for (var f : v.getFiles()) {
      assertThat(
              exists(
                  s3,
                  jdbc.sql("select object_key from blob where sha256 = ?")
                      .param(f.getSha256())
                      .query(String.class)
                      .single()))
          .isTrue();
    }
    assertThat(versions().downloadVersionFile(name, "1", "adapter_model.safetensors", null, null))
        .exists();
  }

  private static boolean exists(MinioClient s3, String key) {
    try {
      s3.statObject(StatObjectArgs.builder().bucket("adapter-registry").object(key).build());
      return true;
    } catch (Exception e) {
      return false;
    }
  }
}
