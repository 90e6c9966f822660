package io.adapterplatform.training;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.client.AdaptersApi;
import io.adapterplatform.api.registry.client.BaseModelsApi;
import io.adapterplatform.api.registry.client.TokensApi;
import io.adapterplatform.api.registry.client.VersionsApi;
import io.adapterplatform.api.registry.invoker.ApiClient;
import io.adapterplatform.api.registry.invoker.ApiException;
import io.adapterplatform.api.registry.model.CreateAdapterRequest;
import io.adapterplatform.api.registry.model.CreateTokenRequest;
import io.adapterplatform.api.registry.model.Role;
import io.adapterplatform.embedded.PlatformBackends;
import io.adapterplatform.engine.format.AdapterConfig;
import io.adapterplatform.engine.format.AdapterWriter;
import io.adapterplatform.engine.format.BaseModelLayout;
import io.adapterplatform.engine.format.DType;
import io.adapterplatform.engine.format.ModelConfig;
import io.adapterplatform.engine.format.SafetensorsWriter;
import io.adapterplatform.registry.RegistryModule;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The training service beside a real registry in one context, imported by their modules as the
 * one-JVM launcher does, on the JVM's shared real PostgreSQL, S3 and Kafka. Tests talk HTTP.
 */
@SpringBootTest(
    classes = TrainingTestBase.Launcher.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.config.name=application,registry,training-service",
      "platform.auth.admin-token=" + TrainingTestBase.ADMIN,
      "platform.registry.relay-interval=100ms",
      "platform.training.relay-interval=100ms",
      "platform.training.events-stream-timeout=2s",
      "platform.training.datasets.max-file-size=64KB",
      "platform.training.datasets.max-line-size=1KB",
      // The API tests see jobs stay as they left them; WorkerTestBase turns a worker on.
      "platform.training.role=${training.test.role:api}"
    })
@PlatformBackends
public abstract class TrainingTestBase {

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import({RegistryModule.class, TrainingModule.class})
  static class Launcher {}

  protected static final String ADMIN = "test-admin-token-0123456789abcdef";
  protected static final String BASE = "train-base";
  protected static final String OTHER_BASE = "train-other-base";
  protected static final JsonMapper JSON = JsonMapper.builder().build();
  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @LocalServerPort protected int port;

  protected static String unique() {
    return COUNTER.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  protected ApiClient registry(String token) {
    var c = new ApiClient();
    c.updateBaseUri("http://localhost:" + port);
    c.setRequestInterceptor(b -> b.header("Authorization", "Bearer " + token));
    return c;
  }

  protected String tokenWith(List<String> scopes, Role... roles) throws Exception {
    return new TokensApi(registry(ADMIN))
        .createToken(
            new CreateTokenRequest().name("t-" + unique()).roles(List.of(roles)).scopes(scopes))
        .getToken();
  }

  protected String tokenWith(Role... roles) throws Exception {
    return tokenWith(List.of(), roles);
  }

  static final ModelConfig MODEL =
      new ModelConfig(
          "llama", List.of("LlamaForCausalLM"), 8, 16, 2, 2, 1, 4, 1e-6, 10000.0, false, 32, 128);

  /** The tiny base models, uploaded once per JVM. */
  protected synchronized void ensureBaseModels() throws Exception {
    for (String name : List.of(BASE, OTHER_BASE)) {
      var api = new BaseModelsApi(registry(ADMIN));
      try {
        api.getBaseModel(name);
      } catch (ApiException e) {
        assertThat(e.getCode()).isEqualTo(404);
        Path dir = Files.createTempDirectory("base-");
        Files.write(dir.resolve("config.json"), MODEL.toJson());
        var weights = new SafetensorsWriter();
        BaseModelLayout.expectedShapes(MODEL)
            .forEach(
                (tensor, shape) -> {
                  long n = 1;
                  for (long d : shape) {
                    n *= d;
                  }
                  weights.addFloats(tensor, DType.F32, shape, new float[(int) n]);
                });
        weights.writeTo(dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("tokenizer.json"), "{\"version\": \"1.0\"}");
        api.uploadBaseModel(
            name,
            List.of(
                dir.resolve("config.json").toFile(),
                dir.resolve("model.safetensors").toFile(),
                dir.resolve("tokenizer.json").toFile()));
      }
    }
  }

  /** A new adapter over {@code base} with one version of {@code config}; returns its name. */
  protected String publishedAdapter(String base, AdapterConfig config) throws Exception {
    ensureBaseModels();
    String name = "ad-" + unique();
    new AdaptersApi(registry(ADMIN))
        .createAdapter(new CreateAdapterRequest().name(name).baseModel(base));
    var writer = AdapterWriter.of(config, MODEL, DType.F32);
    for (int layer = 0; layer < MODEL.numHiddenLayers(); layer++) {
      for (String module : config.attentionTargets()) {
        var s = MODEL.projectionShape(module);
        writer.lora(layer, module, new float[config.r() * s.in()], new float[s.out() * config.r()]);
      }
      if (config.kind() == io.adapterplatform.engine.format.AdapterKind.MIXLORA) {
        for (int e = 0; e < config.numExperts(); e++) {
          for (String module : config.ffnTargets()) {
            var s = MODEL.projectionShape(module);
            writer.expert(
                layer,
                e,
                module,
                new float[config.expertR() * s.in()],
                new float[s.out() * config.expertR()]);
          }
        }
        writer.router(layer, new float[config.numExperts() * MODEL.hiddenSize()]);
      } else {
        for (String module : config.ffnTargets()) {
          var s = MODEL.projectionShape(module);
          writer.lora(
              layer, module, new float[config.r() * s.in()], new float[s.out() * config.r()]);
        }
      }
    }
    Path dir = Files.createTempDirectory("adapter-");
    writer.writeTo(dir);
    List<File> files =
        List.of(
            dir.resolve("adapter_config.json").toFile(),
            dir.resolve("adapter_model.safetensors").toFile());
    new VersionsApi(registry(ADMIN)).publishVersion(name, files, null);
    return name;
  }

  // --- HTTP ---

  record Response(int status, String contentType, String body, HttpResponse<String> raw) {
    JsonNode json() {
      return JSON.readTree(body);
    }
  }

  protected Response get(String path, String token, String... headers) throws Exception {
    var b = HttpRequest.newBuilder(uri(path)).GET();
    return send(b, token, headers);
  }

  protected Response postJson(String path, String token, String body, String... headers)
      throws Exception {
    var b =
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    return send(b, token, headers);
  }

  protected Response uploadDataset(String token, String name, byte[] file) throws Exception {
    return uploadDataset(token, name, null, file);
  }

  /** An upload with a {@code baseModel} part too (when not null), after {@code name}. */
  protected Response uploadDataset(String token, String name, String baseModel, byte[] file)
      throws Exception {
    String boundary = "b" + UUID.randomUUID();
    var body = new ByteArrayOutputStream();
    var parts = new ArrayList<byte[]>();
    for (String[] field : new String[][] {{"name", name}, {"baseModel", baseModel}}) {
      if (field[1] != null) {
        parts.add(
            ("--"
                    + boundary
                    + "\r\nContent-Disposition: form-data; name=\""
                    + field[0]
                    + "\"\r\n\r\n"
                    + field[1]
                    + "\r\n")
                .getBytes(StandardCharsets.UTF_8));
      }
    }
    if (file != null) {
      parts.add(
          ("--"
                  + boundary
                  + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"data.jsonl\"\r\n"
                  + "Content-Type: application/octet-stream\r\n\r\n")
              .getBytes(StandardCharsets.UTF_8));
      parts.add(file);
      parts.add("\r\n".getBytes(StandardCharsets.UTF_8));
    }
    for (byte[] p : parts) {
      body.write(p);
    }
    body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    var b =
        HttpRequest.newBuilder(uri("/api/v1/datasets"))
            .header("Content-Type", "multipart/form-data; boundary=" + boundary)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
    return send(b, token);
  }

  protected Response uploadDataset(String token, String name, String jsonl) throws Exception {
    return uploadDataset(token, name, jsonl.getBytes(StandardCharsets.UTF_8));
  }

  /** A new dataset version of a few good records; returns {@code name@version}. */
  protected String dataset(String name) throws Exception {
    var r =
        uploadDataset(
            ADMIN,
            name,
            """
            {"prompt": "2+2=", "completion": "4"}
            {"text": "the cat sat on the mat"}
            """);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return name + "@" + r.json().get("version").asInt();
  }

  private URI uri(String path) {
    return URI.create("http://localhost:" + port + path);
  }

  private static Response send(HttpRequest.Builder b, String token, String... headers)
      throws Exception {
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    var r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Response(
        r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body(), r);
  }

  /** Asserts an RFC 9457 answer of {@code status}; returns its body. */
  protected static JsonNode problem(Response r, int status) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.contentType()).startsWith("application/problem+json");
    var p = JSON.readTree(r.body());
    assertThat(p.get("type").asString()).startsWith("https://adapterplatform.io/problems/");
    return p;
  }
}
