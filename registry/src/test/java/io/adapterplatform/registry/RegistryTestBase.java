package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.adapterplatform.api.registry.client.AdaptersApi;
import io.adapterplatform.api.registry.client.AliasesApi;
import io.adapterplatform.api.registry.client.AuditApi;
import io.adapterplatform.api.registry.client.BaseModelsApi;
import io.adapterplatform.api.registry.client.TokensApi;
import io.adapterplatform.api.registry.client.VersionsApi;
import io.adapterplatform.api.registry.invoker.ApiClient;
import io.adapterplatform.api.registry.invoker.ApiException;
import io.adapterplatform.api.registry.model.AdapterVersion;
import io.adapterplatform.api.registry.model.CreateAdapterRequest;
import io.adapterplatform.api.registry.model.CreateTokenRequest;
import io.adapterplatform.api.registry.model.Problem;
import io.adapterplatform.api.registry.model.Role;
import io.adapterplatform.embedded.PlatformBackends;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Every integration test goes through the generated client against one shared Spring context on a
 * random port, backed by the JVM's shared real PostgreSQL, S3 and Kafka.
 */
@SpringBootTest(
    classes = RegistryApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.config.name=application,registry",
      "platform.auth.admin-token=" + RegistryTestBase.ADMIN,
      "platform.registry.relay-interval=100ms"
    })
@PlatformBackends
abstract class RegistryTestBase {

  static final String ADMIN = "test-admin-token-0123456789abcdef";
  static final String BASE = "tiny-llama";
  private static final AtomicInteger COUNTER = new AtomicInteger();
  static final ObjectMapper JSON = new ObjectMapper();

  @LocalServerPort int port;

  ApiClient client(String token) {
    var c = new ApiClient();
    c.updateBaseUri("http://localhost:" + port);
    if (token != null) {
      c.setRequestInterceptor(b -> b.header("Authorization", "Bearer " + token));
    }
    return c;
  }

  ApiClient admin() {
    return client(ADMIN);
  }

  String tokenWith(Role... roles) throws Exception {
    return new TokensApi(admin())
        .createToken(new CreateTokenRequest().name("t-" + unique()).roles(List.of(roles)))
        .getToken();
  }

  static String unique() {
    return COUNTER.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * A fresh folder, removed with its files when the test JVM exits (deleteOnExit cannot remove a
   * folder that still holds files: five thousand of them had piled up in /tmp).
   */
  static Path dir() {
    try {
      Path d = Files.createTempDirectory("registry-test-");
      TEMP_DIRS.add(d);
      return d;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static final java.util.Queue<Path> TEMP_DIRS = tempDirsRemovedAtExit();

  private static java.util.Queue<Path> tempDirsRemovedAtExit() {
    var dirs = new java.util.concurrent.ConcurrentLinkedQueue<Path>();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  for (Path d : dirs) {
                    try (var paths = Files.walk(d)) {
                      paths
                          .sorted(java.util.Comparator.reverseOrder())
                          .forEach(p -> p.toFile().delete());
                    } catch (java.io.IOException | RuntimeException e) {
                      // best effort at exit: a folder left behind is only litter
                    }
                  }
                }));
    return dirs;
  }

  /** The tiny base model, uploaded once per JVM. */
  synchronized void ensureBaseModel() throws Exception {
    var api = new BaseModelsApi(admin());
    try {
      api.getBaseModel(BASE);
    } catch (ApiException e) {
      assertThat(e.getCode()).isEqualTo(404);
      Path d = dir();
      api.uploadBaseModel(
          BASE,
          List.of(
              Fixtures.write(d, "config.json", Fixtures.modelConfig()).toFile(),
              Fixtures.write(d, "model.safetensors", Fixtures.modelWeights(1)).toFile(),
              Fixtures.write(d, "tokenizer.json", "{\"version\": \"1.0\"}").toFile()));
    }
  }

  /**
   * {@code POST /api/v1/adapters/{adapter}/versions} with the JSON body {@code {"compose":
   * compose}}, over plain HTTP: tests send compositions the generated client would not let them
   * build, and read the raw answer.
   */
  HttpResponse<String> compose(String token, String adapter, Map<String, ?> compose)
      throws Exception {
    var request =
        HttpRequest.newBuilder(
                URI.create(
                    "http://localhost:" + port + "/api/v1/adapters/" + adapter + "/versions"))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    JSON.writeValueAsString(Map.of("compose", compose))))
            .build();
    try (var http = HttpClient.newHttpClient()) {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
  }

  String newAdapter() throws Exception {
    ensureBaseModel();
    String name = "ad-" + unique();
    new AdaptersApi(admin()).createAdapter(new CreateAdapterRequest().name(name).baseModel(BASE));
    return name;
  }

  static List<File> loraFiles(int r, List<String> targets, boolean dora, long seed) {
    Path d = dir();
    return List.of(
        Fixtures.write(d, "adapter_config.json", Fixtures.loraConfig(r, targets, dora)).toFile(),
        Fixtures.write(d, "adapter_model.safetensors", Fixtures.loraWeights(r, targets, dora, seed))
            .toFile());
  }

  AdapterVersion publishLora(String adapter, long seed) throws Exception {
    return new VersionsApi(admin())
        .publishVersion(adapter, loraFiles(4, List.of("q_proj", "v_proj"), false, seed), null);
  }

  VersionsApi versions() {
    return new VersionsApi(admin());
  }

  AliasesApi aliases() {
    return new AliasesApi(admin());
  }

  AdaptersApi adapters() {
    return new AdaptersApi(admin());
  }

  AuditApi audit() {
    return new AuditApi(admin());
  }

  /** Runs a call that must fail with {@code status} and an RFC 9457 body; returns that body. */
  static Problem problem(int status, ThrowingCallable call) throws Exception {
    ApiException e = catchThrowableOfType(ApiException.class, call);
    assertThat(e).as("expected HTTP %d", status).isNotNull();
    assertThat(e.getCode()).as(e.getResponseBody()).isEqualTo(status);
    assertThat(e.getResponseHeaders().firstValue("Content-Type"))
        .hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
    Problem p = JSON.readValue(e.getResponseBody(), Problem.class);
    assertThat(p.getStatus()).isEqualTo(status);
    assertThat(p.getType().toString()).startsWith("https://adapterplatform.io/problems/");
    return p;
  }
}
