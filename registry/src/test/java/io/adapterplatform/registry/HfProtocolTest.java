package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.model.CreateAdapterRequest;
import io.adapterplatform.api.registry.model.MoveAliasRequest;
import io.adapterplatform.api.registry.model.Role;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Hugging Face protocol under /hf, request by request: headers, ranges, paging and every error
 * code.
 */
class HfProtocolTest extends RegistryTestBase {

  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<byte[]> send(String method, String path, String token, String... headers)
      throws Exception {
    var b =
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
            .method(method, HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
    return send("GET", path, ADMIN, headers);
  }

  private static void assertHfError(HttpResponse<byte[]> r, int status, String code) {
    assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(status);
    assertThat(r.headers().firstValue("x-error-code")).as(r.uri().toString()).hasValue(code);
    assertThat(r.headers().firstValue("content-type"))
        .hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
  }

  @Test
  void resolveServesEveryRevisionSpellingWithTheHubsHeaders() throws Exception {
    String name = newAdapter();
    var files = loraFiles(4, List.of("q_proj", "v_proj"), false, 31);
    byte[] weights = Files.readAllBytes(files.get(1).toPath());
    versions().publishVersion(name, files, null);
    publishLora(name, 32);
    aliases().moveAlias(name, "production", new MoveAliasRequest().version(1));
    String sha = BaseModelTest.sha256(weights);

    var byNumber = get("/hf/" + name + "/resolve/1/adapter_model.safetensors");
    var byAlias = get("/hf/" + name + "/resolve/production/adapter_model.safetensors");
    var byNamespace = get("/hf/adapters/" + name + "/resolve/1/adapter_model.safetensors");
    var latest = get("/hf/" + name + "/resolve/main/adapter_model.safetensors");
    String commit = byNumber.headers().firstValue("x-repo-commit").orElseThrow();
    var byCommit = get("/hf/" + name + "/resolve/" + commit + "/adapter_model.safetensors");

    assertThat(byNumber.statusCode()).isEqualTo(200);
    assertThat(byNumber.body()).isEqualTo(weights);
    assertThat(commit).matches("^[0-9a-f]{40}$");
    assertThat(byNumber.headers().firstValue("etag")).hasValue("\"" + sha + "\"");
    assertThat(byNumber.headers().firstValue("x-linked-etag")).hasValue("\"" + sha + "\"");
    assertThat(byNumber.headers().firstValue("x-linked-size"))
        .hasValue(Integer.toString(weights.length));
    for (var same : List.of(byAlias, byNamespace, byCommit)) {
      assertThat(same.statusCode()).isEqualTo(200);
      assertThat(same.body()).isEqualTo(weights);
      assertThat(same.headers().firstValue("x-repo-commit")).hasValue(commit);
    }
    assertThat(latest.headers().firstValue("x-repo-commit"))
        .hasValueSatisfying(c -> assertThat(c).isNotEqualTo(commit));
    assertThat(
            get("/hf/" + name + "/resolve/HEAD/adapter_model.safetensors")
                .headers()
                .firstValue("x-repo-commit"))
        .isEqualTo(latest.headers().firstValue("x-repo-commit"));
  }

  @Test
  void rangesHeadAndConditionalRequestsFollowHttp() throws Exception {
    String name = newAdapter();
    var files = loraFiles(4, List.of("q_proj"), false, 33);
    byte[] weights = Files.readAllBytes(files.get(1).toPath());
    versions().publishVersion(name, files, null);
    String path = "/hf/" + name + "/resolve/main/adapter_model.safetensors";

    var probe = get(path, "Range", "bytes=0-0");
    var part = get(path, "Range", "bytes=5-14");
    var head = send("HEAD", path, ADMIN);
    var beyond = get(path, "Range", "bytes=" + weights.length + "-");
    var notModified = get(path, "If-None-Match", head.headers().firstValue("etag").orElseThrow());

    assertThat(probe.statusCode()).isEqualTo(206);
    assertThat(probe.headers().firstValue("content-range")).hasValue("bytes 0-0/" + weights.length);
    assertThat(probe.body()).containsExactly(weights[0]);
    assertThat(part.statusCode()).isEqualTo(206);
    assertThat(part.body()).isEqualTo(Arrays.copyOfRange(weights, 5, 15));
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    assertThat(head.headers().firstValueAsLong("content-length")).hasValue(weights.length);
    assertThat(head.headers().firstValue("x-repo-commit"))
        .isEqualTo(probe.headers().firstValue("x-repo-commit"));
    assertThat(head.headers().firstValue("etag")).isEqualTo(probe.headers().firstValue("etag"));
    assertThat(beyond.statusCode()).isEqualTo(416);
    assertThat(beyond.headers().firstValue("content-range")).hasValue("bytes */" + weights.length);
    assertThat(notModified.statusCode()).isEqualTo(304);
  }

  @Test
  void modelInfoAndTreeDescribeTheRevision() throws Exception {
    String name = newAdapter();
    var v = publishLora(name, 34);
    var weights =
        v.getFiles().stream()
            .filter(f -> f.getName().equals("adapter_model.safetensors"))
            .findFirst()
            .orElseThrow();

    var info = JSON.readTree(get("/hf/api/models/" + name + "/revision/1").body());
    var head = JSON.readTree(get("/hf/api/models/" + name).body());
    var tree = get("/hf/api/models/" + name + "/tree/main");
    var first = get("/hf/api/models/" + name + "/tree/main?limit=1");
    String next =
        first
            .headers()
            .firstValue("link")
            .orElseThrow()
            .replaceAll("^<([^>]+)>; rel=\"next\"$", "$1");
    var second =
        http.send(
            HttpRequest.newBuilder(URI.create(next))
                .header("Authorization", "Bearer " + ADMIN)
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(info.get("id").asText()).isEqualTo(name);
    assertThat(info.get("sha").asText())
        .matches("^[0-9a-f]{40}$")
        .isEqualTo(head.get("sha").asText());
    assertThat(info.get("cardData").get("base_model").asText()).isEqualTo(BASE);
    assertThat(info.get("siblings"))
        .extracting(s -> s.get("rfilename").asText())
        .containsExactly("adapter_config.json", "adapter_model.safetensors");
    var sibling = info.get("siblings").get(1);
    assertThat(sibling.get("size").asLong()).isEqualTo(weights.getSize());
    assertThat(sibling.get("lfs").get("sha256").asText()).isEqualTo(weights.getSha256());
    var entries = JSON.readTree(tree.body());
    assertThat(entries)
        .extracting(e -> e.get("path").asText())
        .containsExactly("adapter_config.json", "adapter_model.safetensors");
    assertThat(entries.get(1).get("type").asText()).isEqualTo("file");
    assertThat(entries.get(1).get("size").asLong()).isEqualTo(weights.getSize());
    assertThat(entries.get(1).get("oid").asText()).matches("^[0-9a-f]{40}$");
    assertThat(entries.get(1).get("lfs").get("oid").asText()).isEqualTo(weights.getSha256());
    assertThat(tree.headers().firstValue("link")).isEmpty();
    assertThat(JSON.readTree(first.body()))
        .extracting(e -> e.get("path").asText())
        .containsExactly("adapter_config.json");
    assertThat(JSON.readTree(second.body()))
        .extracting(e -> e.get("path").asText())
        .containsExactly("adapter_model.safetensors");
    assertThat(second.headers().firstValue("link")).isEmpty();
  }

  @Test
  void missingRepositoriesRevisionsAndFilesCarryTheHubsErrorCodes() throws Exception {
    String name = newAdapter();
    publishLora(name, 35);
    publishLora(name, 36);
    versions().deleteVersion(name, "2");
    String empty = newAdapter();

    assertHfError(get("/hf/api/models/no-such-repo-" + unique()), 404, "RepoNotFound");
    assertHfError(
        get("/hf/no-such-repo-" + unique() + "/resolve/main/adapter_config.json"),
        404,
        "RepoNotFound");
    assertHfError(
        get("/hf/datasets/" + name + "/resolve/main/adapter_config.json"), 404, "RepoNotFound");
    assertHfError(
        get("/hf/base-models/" + name + "/resolve/main/adapter_config.json"), 404, "RepoNotFound");
    assertHfError(get("/hf/api/models/" + name + "/revision/7"), 404, "RevisionNotFound");
    assertHfError(get("/hf/api/models/" + name + "/revision/2"), 404, "RevisionNotFound");
    assertHfError(
        get("/hf/api/models/" + name + "/revision/no-such-alias"), 404, "RevisionNotFound");
    assertHfError(
        get("/hf/api/models/" + name + "/revision/" + "0".repeat(40)), 404, "RevisionNotFound");
    assertHfError(get("/hf/api/models/" + empty + "/revision/main"), 404, "RevisionNotFound");
    assertHfError(get("/hf/" + name + "/resolve/main/no-such-file.bin"), 404, "EntryNotFound");
    assertHfError(
        get("/hf/api/models/" + name + "/tree/main/no-such-folder"), 404, "EntryNotFound");
    var head = send("HEAD", "/hf/" + name + "/resolve/main/no-such-file.bin", ADMIN);
    assertThat(head.statusCode()).isEqualTo(404);
    assertThat(head.headers().firstValue("x-error-code")).hasValue("EntryNotFound");
  }

  @Test
  void everyRouteNeedsAReaderToken() throws Exception {
    String name = newAdapter();
    publishLora(name, 37);
    String reader = tokenWith(Role.READER);

    for (String path :
        List.of(
            "/hf/api/models/" + name,
            "/hf/api/models/" + name + "/tree/main",
            "/hf/" + name + "/resolve/main/adapter_config.json")) {
      var anonymous = send("GET", path, null);
      assertThat(anonymous.statusCode()).as(path).isEqualTo(401);
      assertThat(anonymous.headers().firstValue("www-authenticate")).hasValue("Bearer");
      assertThat(send("GET", path, "not-a-token").statusCode()).as(path).isEqualTo(401);
      assertThat(send("GET", path, reader).statusCode()).as(path).isEqualTo(200);
    }
  }

  @Test
  void aBareNameIsTheAdapterFirstAndNamespacesChooseTheKind() throws Exception {
    ensureBaseModel();
    String both = "both-" + unique();
    new io.adapterplatform.api.registry.client.BaseModelsApi(admin())
        .uploadBaseModel(
            both,
            List.of(
                Fixtures.write(dir(), "config.json", Fixtures.modelConfig()).toFile(),
                Fixtures.write(dir(), "model.safetensors", Fixtures.modelWeights(2)).toFile()));
    adapters().createAdapter(new CreateAdapterRequest().name(both).baseModel(BASE));
    publishLora(both, 38);

    var base = JSON.readTree(get("/hf/api/models/" + BASE).body());
    var explicitBase = JSON.readTree(get("/hf/api/models/base-models/" + both).body());
    var bare = JSON.readTree(get("/hf/api/models/" + both).body());
    var baseFile = get("/hf/base-models/" + both + "/resolve/main/config.json");

    assertThat(base.get("siblings"))
        .extracting(s -> s.get("rfilename").asText())
        .contains("config.json");
    assertThat(base.get("library_name").asText()).isEqualTo("transformers");
    assertThat(explicitBase.get("id").asText()).isEqualTo("base-models/" + both);
    assertThat(explicitBase.get("siblings"))
        .extracting(s -> s.get("rfilename").asText())
        .containsExactly("config.json", "model.safetensors");
    assertThat(bare.get("library_name").asText()).isEqualTo("peft");
    assertThat(bare.get("siblings"))
        .extracting(s -> s.get("rfilename").asText())
        .contains("adapter_config.json");
    assertThat(baseFile.statusCode()).isEqualTo(200);
    assertThat(new String(baseFile.body())).isEqualTo(Fixtures.modelConfig());
    assertHfError(
        get("/hf/base-models/" + both + "/resolve/1/config.json"), 404, "RevisionNotFound");
    assertThat(
            get("/hf/base-models/"
                    + both
                    + "/resolve/"
                    + explicitBase.get("sha").asText()
                    + "/config.json")
                .statusCode())
        .isEqualTo(200);
  }
}
