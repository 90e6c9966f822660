package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.client.BaseModelsApi;
import io.adapterplatform.embedded.BackendEndpoints;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * A Range request on an uploaded blob reads only the chunks that cover it, each verified against
 * the digest recorded at upload.
 */
class RangeChunksTest extends RegistryTestBase {

  private static final int CHUNK = 1024 * 1024;

  @Autowired JdbcClient jdbc;

  @Autowired MeterRegistry meters;

  @Test
  void rangeNearTheEndOfALargeFileReadsOnlyTheChunksThatCoverIt() throws Exception {
    byte[] bytes = randomBytes(24 * CHUNK + 1000);
    String path = uploadModelWith(bytes);

    double before = bytesRead();
    var tail = get(path, "bytes=-2000");
    double read = bytesRead() - before;

    assertThat(tail.statusCode()).isEqualTo(206);
    assertThat(tail.headers().firstValue("content-range"))
        .hasValue("bytes " + (bytes.length - 2000) + "-" + (bytes.length - 1) + "/" + bytes.length);
    assertThat(tail.body()).isEqualTo(Arrays.copyOfRange(bytes, bytes.length - 2000, bytes.length));
    assertThat(read)
        .as("bytes read from the object store for a 2000-byte range of a 24 MiB file")
        .isGreaterThanOrEqualTo(2000)
        .isLessThanOrEqualTo(2 * CHUNK);
  }

  @Test
  void recordsTheDigestOfEveryChunkAtUpload() throws Exception {
    byte[] bytes = randomBytes(2 * CHUNK + 17);
    uploadModelWith(bytes);

    var row =
        jdbc.sql("select chunk_size, chunk_digests from blob where sha256 = ?")
            .param(hex(sha256(bytes)))
            .query((rs, i) -> new Object[] {rs.getInt(1), rs.getBytes(2)})
            .single();

    assertThat(row[0]).isEqualTo(CHUNK);
    byte[] expected = new byte[3 * 32];
    System.arraycopy(sha256(Arrays.copyOfRange(bytes, 0, CHUNK)), 0, expected, 0, 32);
    System.arraycopy(sha256(Arrays.copyOfRange(bytes, CHUNK, 2 * CHUNK)), 0, expected, 32, 32);
    System.arraycopy(
        sha256(Arrays.copyOfRange(bytes, 2 * CHUNK, bytes.length)), 0, expected, 64, 32);
    assertThat((byte[]) row[1]).isEqualTo(expected);
  }

  @Test
  void rangesCrossingChunkBoundariesReturnTheRightBytes() throws Exception {
    byte[] bytes = randomBytes(3 * CHUNK + 123);
    String path = uploadModelWith(bytes);
    int size = bytes.length;
    long[][] shapes = {
      {0, 0},
      {CHUNK - 1, CHUNK},
      {CHUNK - 5, 2L * CHUNK + 5},
      {CHUNK, 2L * CHUNK - 1},
      {0, size - 1},
      {3L * CHUNK - 1, size - 1},
      {size - 1, size - 1},
      {17, 3L * CHUNK + 50}
    };

    for (long[] shape : shapes) {
      var part = get(path, "bytes=" + shape[0] + "-" + shape[1]);
      assertThat(part.statusCode()).as("bytes=%d-%d", shape[0], shape[1]).isEqualTo(206);
      assertThat(part.headers().firstValue("content-range"))
          .hasValue("bytes " + shape[0] + "-" + shape[1] + "/" + size);
      assertThat(part.body())
          .as("bytes=%d-%d", shape[0], shape[1])
          .isEqualTo(Arrays.copyOfRange(bytes, (int) shape[0], (int) shape[1] + 1));
    }
    var open = get(path, "bytes=" + (2 * CHUNK - 1) + "-");
    var lastChunkExactly = get(path, "bytes=-123");
    var intoThePreviousChunk = get(path, "bytes=-124");
    var pastTheEnd = get(path, "bytes=" + (CHUNK + 1) + "-" + (10L * CHUNK));

    assertThat(open.body()).isEqualTo(Arrays.copyOfRange(bytes, 2 * CHUNK - 1, size));
    assertThat(lastChunkExactly.body()).isEqualTo(Arrays.copyOfRange(bytes, size - 123, size));
    assertThat(intoThePreviousChunk.body()).isEqualTo(Arrays.copyOfRange(bytes, size - 124, size));
    assertThat(pastTheEnd.body()).isEqualTo(Arrays.copyOfRange(bytes, CHUNK + 1, size));
  }

  @Test
  void aCorruptChunkFailsOnlyTheRangesThatReadIt(BackendEndpoints backends) throws Exception {
    byte[] bytes = randomBytes(3 * CHUNK + 99);
    String path = uploadModelWith(bytes);
    byte[] corrupt = bytes.clone();
    corrupt[CHUNK + CHUNK / 2] ^= 1;
    StoredObjects.overwrite(backends, StoredObjects.objectKey(jdbc, hex(sha256(bytes))), corrupt);

    var inTheCorruptChunk = get(path, "bytes=" + (CHUNK + 10) + "-" + (CHUNK + 20));
    var beforeIt = get(path, "bytes=10-20");
    var afterIt = get(path, "bytes=" + (2 * CHUNK - 1 + 1) + "-" + (3L * CHUNK + 50));

    assertThat(inTheCorruptChunk.statusCode()).isEqualTo(500);
    assertThat(inTheCorruptChunk.headers().firstValue("content-type"))
        .hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
    assertThat(new String(inTheCorruptChunk.body(), StandardCharsets.UTF_8))
        .contains("/stored-file-corrupt");
    assertThat(inTheCorruptChunk.headers().map())
        .doesNotContainKeys("etag", "content-range", "accept-ranges");
    assertThat(beforeIt.statusCode()).isEqualTo(206);
    assertThat(beforeIt.body()).isEqualTo(Arrays.copyOfRange(bytes, 10, 21));
    assertThat(afterIt.statusCode()).isEqualTo(206);
    assertThat(afterIt.body()).isEqualTo(Arrays.copyOfRange(bytes, 2 * CHUNK, 3 * CHUNK + 51));
  }

  @Test
  void blobsWithoutDigestsStillServeVerifiedRanges(BackendEndpoints backends) throws Exception {
    byte[] bytes = randomBytes(2 * CHUNK + 5);
    String path = uploadModelWith(bytes);
    String sha = hex(sha256(bytes));
    // As a blob stored before digests were recorded.
    jdbc.sql("update blob set chunk_size = null, chunk_digests = null where sha256 = ?")
        .param(sha)
        .update();

    double before = bytesRead();
    var part = get(path, "bytes=" + CHUNK + "-" + (CHUNK + 9));
    double read = bytesRead() - before;
    byte[] corrupt = bytes.clone();
    corrupt[0] ^= 1;
    StoredObjects.overwrite(backends, StoredObjects.objectKey(jdbc, sha), corrupt);
    var afterCorruption = get(path, "bytes=" + CHUNK + "-" + (CHUNK + 9));

    assertThat(part.statusCode()).isEqualTo(206);
    assertThat(part.body()).isEqualTo(Arrays.copyOfRange(bytes, CHUNK, CHUNK + 10));
    assertThat(read).as("verified as a whole").isEqualTo(bytes.length);
    assertThat(afterCorruption.statusCode()).isEqualTo(500);
  }

  private String uploadModelWith(byte[] tokenizerModel) throws Exception {
    String model = "bm-" + unique();
    var d = dir();
    new BaseModelsApi(admin())
        .uploadBaseModel(
            model,
            List.of(
                Fixtures.write(d, "config.json", Fixtures.modelConfig()).toFile(),
                Fixtures.write(d, "model.safetensors", Fixtures.modelWeights(5)).toFile(),
                Fixtures.write(d, "tokenizer.model", tokenizerModel).toFile()));
    return "/api/v1/base-models/" + model + "/files/tokenizer.model";
  }

  private static byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    new Random(System.nanoTime()).nextBytes(bytes);
    return bytes;
  }

  private double bytesRead() {
    var counter = meters.find("registry.download.bytes.read").counter();
    return counter == null ? 0 : counter.count();
  }

  private HttpResponse<byte[]> get(String path, String range)
      throws IOException, InterruptedException {
    var b =
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
            .header("Authorization", "Bearer " + ADMIN);
    b.header("Range", range);
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static byte[] sha256(byte[] bytes) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(bytes);
  }

  private static String hex(byte[] bytes) {
    return java.util.HexFormat.of().formatHex(bytes);
  }
}
