package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.adapterplatform.api.registry.client.BaseModelsApi;
import io.adapterplatform.embedded.BackendEndpoints;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class DownloadTest extends RegistryTestBase {

  @org.springframework.beans.factory.annotation.Autowired
  org.springframework.jdbc.core.simple.JdbcClient jdbc;

  @Test
  void servesBytesWithETagRangesAndConditionalRequests() throws Exception {
    String name = newAdapter();
    var files = loraFiles(4, List.of("q_proj", "v_proj"), false, 11);
    byte[] weights = Files.readAllBytes(files.get(1).toPath());
    versions().publishVersion(name, files, null);

    var full =
        versions()
            .downloadVersionFileWithHttpInfo(name, "1", "adapter_model.safetensors", null, null);
    String etag = full.getHeaders().get("etag").getFirst();
    var part =
        versions()
            .downloadVersionFileWithHttpInfo(
                name, "1", "adapter_model.safetensors", "bytes=10-19", null);
    var suffix =
        versions()
            .downloadVersionFileWithHttpInfo(
                name, "1", "adapter_model.safetensors", "bytes=-5", null);

    assertThat(full.getStatusCode()).isEqualTo(200);
    assertThat(Files.readAllBytes(full.getData().toPath())).isEqualTo(weights);
    assertThat(etag).isEqualTo("\"" + BaseModelTest.sha256(weights) + "\"");
    assertThat(part.getStatusCode()).isEqualTo(206);
    assertThat(part.getHeaders().get("content-range").getFirst())
        .isEqualTo("bytes 10-19/" + weights.length);
    assertThat(Files.readAllBytes(part.getData().toPath()))
        .isEqualTo(Arrays.copyOfRange(weights, 10, 20));
    assertThat(Files.readAllBytes(suffix.getData().toPath()))
        .isEqualTo(Arrays.copyOfRange(weights, weights.length - 5, weights.length));
    var notModified =
        catchThrowable(
            () ->
                versions().downloadVersionFile(name, "1", "adapter_model.safetensors", null, etag));
    assertThat(((io.adapterplatform.api.registry.invoker.ApiException) notModified).getCode())
        .isEqualTo(304);
    problem(
        416,
        () ->
            versions()
                .downloadVersionFile(
                    name, "1", "adapter_model.safetensors", "bytes=" + weights.length + "-", null));
    problem(404, () -> versions().downloadVersionFile(name, "1", "nope.bin", null, null));
  }

  @Test
  void corruptSmallFileIsAProblemWithoutTheFilesHeaders(BackendEndpoints backends)
      throws Exception {
    String name = newAdapter();
    var v = versions().publishVersion(name, loraFiles(4, List.of("q_proj"), false, 12), null);
    var file =
        v.getFiles().stream()
            .filter(f -> f.getName().equals("adapter_model.safetensors"))
            .findFirst()
            .orElseThrow();
    StoredObjects.overwrite(
        backends,
        StoredObjects.objectKey(jdbc, file.getSha256()),
        new byte[(int) (long) file.getSize()]);

    var whole =
        problem(
            500,
            () ->
                versions().downloadVersionFile(name, "1", "adapter_model.safetensors", null, null));
    var range =
        problem(
            500,
            () ->
                versions()
                    .downloadVersionFile(
                        name, "1", "adapter_model.safetensors", "bytes=0-9", null));
    var raw =
        get(
            "/api/v1/adapters/" + name + "/versions/1/files/adapter_model.safetensors",
            "bytes=0-9");

    assertThat(whole.getType().toString()).endsWith("/stored-file-corrupt");
    assertThat(range.getType().toString()).endsWith("/stored-file-corrupt");
    assertThat(raw.statusCode()).isEqualTo(500);
    assertThat(raw.headers().firstValue("content-type"))
        .hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
    assertThat(raw.headers().map()).doesNotContainKeys("etag", "content-range", "accept-ranges");
    raw.headers()
        .firstValueAsLong("content-length")
        .ifPresent(n -> assertThat(n).isEqualTo(raw.body().length));
  }

  @Test
  void corruptLargeFileEndsInATruncatedTransfer(BackendEndpoints backends) throws Exception {
    // 300 KB: far more than one verification chunk, so the first bytes are on the wire before the
    // digest ends.
    String model = "bm-" + unique();
    byte[] tokenizer =
        ("{\"version\": \"1.0\", \"pad\": \"" + "x".repeat(300_000) + "\"}")
            .getBytes(StandardCharsets.UTF_8);
    Path d = dir();
    var stored =
        new BaseModelsApi(admin())
            .uploadBaseModel(
                model,
                List.of(
                    Fixtures.write(d, "config.json", Fixtures.modelConfig()).toFile(),
                    Fixtures.write(d, "model.safetensors", Fixtures.modelWeights(5)).toFile(),
                    Fixtures.write(d, "tokenizer.json", tokenizer).toFile()));
    var file =
        stored.getFiles().stream()
            .filter(f -> f.getName().equals("tokenizer.json"))
            .findFirst()
            .orElseThrow();
    byte[] corrupt = tokenizer.clone();
    corrupt[corrupt.length - 3] ^= 1;
    StoredObjects.overwrite(backends, StoredObjects.objectKey(jdbc, file.getSha256()), corrupt);

    var failure =
        catchThrowable(() -> get("/api/v1/base-models/" + model + "/files/tokenizer.json", null));
    var viaClient =
        catchThrowable(
            () ->
                new BaseModelsApi(admin())
                    .downloadBaseModelFile(model, "tokenizer.json", null, null));

    assertThat(failure)
        .as("a corrupt blob must not be served as a complete response")
        .isInstanceOf(IOException.class);
    assertThat(viaClient).isNotNull();
  }

  private HttpResponse<byte[]> get(String path, String range)
      throws IOException, InterruptedException {
    var b =
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
            .header("Authorization", "Bearer " + ADMIN);
    if (range != null) {
      b.header("Range", range);
    }
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }
}
