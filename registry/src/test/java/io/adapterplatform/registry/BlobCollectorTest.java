package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.adapterplatform.api.registry.model.AdapterVersion;
import io.adapterplatform.embedded.BackendEndpoints;
import io.adapterplatform.registry.storage.BlobCollector;
import io.adapterplatform.registry.storage.BlobRows;
import io.adapterplatform.registry.storage.BlobStore;
import io.adapterplatform.registry.storage.FileInfo;
import io.micrometer.core.instrument.MeterRegistry;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

class BlobCollectorTest extends RegistryTestBase {

  private static final String WEIGHTS = "adapter_model.safetensors";

  /** Past the default one-hour grace: the collector's clock is moved, nothing sleeps. */
  private static final Duration PAST_GRACE = Duration.ofHours(1).plusMinutes(5);

  @Autowired BlobCollector collector;
  @Autowired BlobRows blobRows;
  @Autowired JdbcClient jdbc;
  @Autowired TransactionTemplate tx;
  @Autowired MeterRegistry meters;

  @Test
  void orphanObjectIsRemovedOnlyOnceOlderThanTheGrace(BackendEndpoints backends) throws Exception {
    var s3 = s3(backends);
    byte[] bytes = randomBytes(1000);
    String key = BlobStore.blobKey(sha256(bytes));
    // What a registry that crashed between promote and commit leaves: an object without a row.
    s3.putObject(
        PutObjectArgs.builder().bucket("adapter-registry").object(key).stream(
                new ByteArrayInputStream(bytes), bytes.length, -1)
            .build());
    double before = counted("orphan", "bytes");

    collector.collect(Instant.now());
    assertThat(exists(s3, key)).as("young: may belong to an upload about to commit").isTrue();

    var result = collector.collect(Instant.now().plus(PAST_GRACE));
    assertThat(exists(s3, key)).isFalse();
    assertThat(result.orphans()).isGreaterThanOrEqualTo(1);
    assertThat(counted("orphan", "bytes") - before).isGreaterThanOrEqualTo(bytes.length);
  }

  @Test
  void blobOfADeletedVersionGoesOnceUnreferencedASharedOneStays(BackendEndpoints backends)
      throws Exception {
    var s3 = s3(backends);
    long own = ThreadLocalRandom.current().nextLong();
    long shared = ThreadLocalRandom.current().nextLong();
    String a = newAdapter();
    String b = newAdapter();
    var a1 = publishLora(a, own);
    var a2 = publishLora(a, shared);
    var b1 = publishLora(b, shared);
    String ownSha = sha(a1);
    String sharedSha = sha(a2);
    assertThat(sha(b1)).isEqualTo(sharedSha);
    assertThat(ownSha).isNotEqualTo(sharedSha);
    String ownKey = objectKey(ownSha);
    String sharedKey = objectKey(sharedSha);

    collector.collect(Instant.now().plus(PAST_GRACE));
    assertThat(exists(s3, ownKey)).as("referenced by a live version").isTrue();

    versions().deleteVersion(a, "1");
    versions().deleteVersion(a, "2");
    double before = counted("unreferenced", "objects");
    var result = collector.collect(Instant.now().plus(PAST_GRACE));

    assertThat(exists(s3, ownKey)).isFalse();
    assertThat(hasRow(ownSha)).isFalse();
    assertThat(result.unreferenced()).isGreaterThanOrEqualTo(1);
    assertThat(counted("unreferenced", "objects") - before).isGreaterThanOrEqualTo(1);
    // Still used by b@1, and the config every such LoRA shares is still used by many.
    assertThat(exists(s3, sharedKey)).isTrue();
    assertThat(hasRow(sharedSha)).isTrue();
    for (var f : b1.getFiles()) {
      var file = versions().downloadVersionFile(b, "1", f.getName(), null, null);
      assertThat(sha256(Files.readAllBytes(file.toPath()))).isEqualTo(f.getSha256());
    }
  }

  @Test
  void aBlobAnUploadIsRecordingIsSkippedAndOneCollectedFirstIsNeverReferenced(
      BackendEndpoints backends) throws Exception {
    var s3 = s3(backends);
    String a = newAdapter();
    var v = publishLora(a, ThreadLocalRandom.current().nextLong());
    String sha = sha(v);
    long size =
        v.getFiles().stream()
            .filter(f -> f.getName().equals(WEIGHTS))
            .findFirst()
            .orElseThrow()
            .getSize();
    String key = objectKey(sha);
    versions().deleteVersion(a, "1");
    var info = new FileInfo(WEIGHTS, sha, size);

    // An upload deduplicating onto the unreferenced blob holds its lock: the collector must skip
    // it.
    try (var pool = Executors.newSingleThreadExecutor()) {
      tx.executeWithoutResult(
          status -> {
            blobRows.record(info, null);
            try {
              pool.submit(() -> collector.collect(Instant.now().plus(PAST_GRACE))).get();
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
            assertThat(exists(s3, key)).isTrue();
          });
    }
    assertThat(hasRow(sha)).isTrue();

    // Nothing refers to it after all: collected. An upload that then records it finds no object and
    // commits nothing rather than a row pointing at nothing.
    collector.collect(Instant.now().plus(PAST_GRACE));
    assertThat(exists(s3, key)).isFalse();
    assertThatThrownBy(() -> tx.executeWithoutResult(status -> blobRows.record(info, null)))
        .isInstanceOf(BlobStore.StorageException.class);
    assertThat(hasRow(sha)).isFalse();
  }

  private double counted(String kind, String what) {
    var c = meters.find("registry.blob.collected." + what).tag("kind", kind).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void anUploadIsCommittedWhereItWasWrittenAndADuplicateLeavesNoObjectBehind(
      BackendEndpoints backends) throws Exception {
    var s3 = s3(backends);
    long seed = ThreadLocalRandom.current().nextLong();
    String a = newAdapter();
    String b = newAdapter();

    var first = publishLora(a, seed);
    String key = objectKey(sha(first));
    var uploadsBefore = objectsUnder(s3, "blobs/u/");
    var second = publishLora(b, seed);

    assertThat(key)
        .as("streamed to its final key: no copy to a content address")
        .startsWith("blobs/u/");
    assertThat(exists(s3, BlobStore.blobKey(sha(first)))).isFalse();
    assertThat(sha(second)).isEqualTo(sha(first));
    assertThat(objectKey(sha(second))).isEqualTo(key);
    assertThat(objectsUnder(s3, "blobs/u/"))
        .as("the duplicate's own objects were removed at once")
        .containsExactlyInAnyOrderElementsOf(uploadsBefore);
    var file = versions().downloadVersionFile(b, "1", WEIGHTS, null, null);
    assertThat(sha256(Files.readAllBytes(file.toPath()))).isEqualTo(sha(second));
  }

  @Test
  void anUploadLeftUncommittedIsRemovedOnceOlderThanTheGrace(BackendEndpoints backends)
      throws Exception {
    var s3 = s3(backends);
    String key = "blobs/u/crashed-" + ThreadLocalRandom.current().nextLong() + "/0";
    s3.putObject(
        PutObjectArgs.builder().bucket("adapter-registry").object(key).stream(
                new ByteArrayInputStream(new byte[] {1, 2, 3}), 3, -1)
            .build());

    collector.collect(Instant.now());
    assertThat(exists(s3, key)).as("young: its upload may be about to commit").isTrue();
    collector.collect(Instant.now().plus(PAST_GRACE));

    assertThat(exists(s3, key)).isFalse();
  }

  private String objectKey(String sha) {
    return jdbc.sql("select object_key from blob where sha256 = ?")
        .param(sha)
        .query(String.class)
        .single();
  }

  private static java.util.Set<String> objectsUnder(MinioClient s3, String prefix)
      throws Exception {
    var keys = new java.util.HashSet<String>();
    for (var item :
        s3.listObjects(
            io.minio.ListObjectsArgs.builder()
                .bucket("adapter-registry")
                .prefix(prefix)
                .recursive(true)
                .build())) {
      keys.add(item.get().objectName());
    }
    return keys;
  }

  private boolean hasRow(String sha) {
    return jdbc.sql("select count(*) from blob where sha256 = ?")
            .param(sha)
            .query(Integer.class)
            .single()
        > 0;
  }

  private static String sha(AdapterVersion v) {
    return v.getFiles().stream()
        .filter(f -> f.getName().equals(WEIGHTS))
        .findFirst()
        .orElseThrow()
        .getSha256();
  }

  private static MinioClient s3(BackendEndpoints backends) {
    return MinioClient.builder()
        .endpoint(backends.s3Endpoint())
        .credentials(backends.s3AccessKey(), backends.s3SecretKey())
        .region(backends.s3Region())
        .build();
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    ThreadLocalRandom.current().nextBytes(b);
    return b;
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
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
