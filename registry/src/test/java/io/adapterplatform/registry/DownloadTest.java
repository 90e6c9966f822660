package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.adapterplatform.embedded.BackendEndpoints;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class DownloadTest extends RegistryTestBase {

  @Test
  void servesBytesWithETagRangesAndConditionalRequests() throws Exception {
    String name = newAdapter();
    var files = loraFiles(4, List.of("q_proj", "v_proj"), false, 11);
    byte[] weights = Files.readAllBytes(files.get(1).toPath());
    versions().publishVersion(name, files);

    var full = versions().downloadVersionFileWithHttpInfo(name, "1", "adapter_model.safetensors", null, null);
    String etag = full.getHeaders().get("etag").getFirst();
    var part = versions().downloadVersionFileWithHttpInfo(name, "1", "adapter_model.safetensors", "bytes=10-19", null);
    var suffix = versions().downloadVersionFileWithHttpInfo(name, "1", "adapter_model.safetensors", "bytes=-5", null);

    assertThat(full.getStatusCode()).isEqualTo(200);
    assertThat(Files.readAllBytes(full.getData().toPath())).isEqualTo(weights);
    assertThat(etag).isEqualTo("\"" + BaseModelTest.sha256(weights) + "\"");
    assertThat(part.getStatusCode()).isEqualTo(206);
    assertThat(part.getHeaders().get("content-range").getFirst()).isEqualTo("bytes 10-19/" + weights.length);
    assertThat(Files.readAllBytes(part.getData().toPath())).isEqualTo(Arrays.copyOfRange(weights, 10, 20));
    assertThat(Files.readAllBytes(suffix.getData().toPath()))
        .isEqualTo(Arrays.copyOfRange(weights, weights.length - 5, weights.length));
    var notModified = catchThrowable(() -> versions().downloadVersionFile(name, "1", "adapter_model.safetensors", null, etag));
    assertThat(((io.adapterplatform.api.registry.invoker.ApiException) notModified).getCode()).isEqualTo(304);
    problem(416, () -> versions().downloadVersionFile(name, "1", "adapter_model.safetensors", "bytes=" + weights.length + "-", null));
    problem(404, () -> versions().downloadVersionFile(name, "1", "nope.bin", null, null));
  }

  @Test
  void abortsADownloadWhoseStoredBytesNoLongerMatchTheirHash(BackendEndpoints backends) throws Exception {
    String name = newAdapter();
    var files = loraFiles(4, List.of("q_proj"), false, 12);
    var v = versions().publishVersion(name, files);
    String sha = v.getFiles().stream().filter(f -> f.getName().equals("adapter_model.safetensors")).findFirst().orElseThrow().getSha256();
    long size = Files.size(files.get(1).toPath());
    var s3 = MinioClient.builder().endpoint(backends.s3Endpoint()).credentials(backends.s3AccessKey(), backends.s3SecretKey())
        .region(backends.s3Region()).build();
    byte[] corrupt = new byte[(int) size];
    s3.putObject(PutObjectArgs.builder().bucket("adapter-registry").object("blobs/sha256/" + sha)
        .stream(new ByteArrayInputStream(corrupt), size, -1).build());

    var failure = catchThrowable(() -> versions().downloadVersionFile(name, "1", "adapter_model.safetensors", null, null));

    assertThat(failure).as("a corrupt blob must not be served as a complete response").isNotNull();
  }
}
