package io.adapterplatform.serving;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.adapterplatform.api.registry.client.AdaptersApi;
import io.adapterplatform.api.registry.client.BaseModelsApi;
import io.adapterplatform.api.registry.client.VersionsApi;
import io.adapterplatform.api.registry.invoker.ApiClient;
import io.adapterplatform.api.registry.invoker.ApiException;
import io.adapterplatform.api.registry.model.CreateAdapterRequest;
import io.adapterplatform.embedded.PlatformBackends;
import io.adapterplatform.engine.format.DType;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.testing.TinyModels;
import io.adapterplatform.registry.RegistryModule;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.UUID;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;

/**
 * The registry and the serving module with its real engine in one context (embedded backends), one
 * row at a time ({@code max-rows} 1) so that a second request waits while a first one decodes. The
 * base model is tiny, without a tokenizer (prompts are token ids) and without an end-of-sequence
 * token, so that a generation always runs to {@code max_tokens}.
 */
@SpringBootTest(
    classes = EngineTestBase.Launcher.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.config.name=application,registry",
      "platform.auth.admin-token=" + EngineTestBase.ADMIN,
      "platform.registry.relay-interval=100ms",
      "platform.serving.pool.lora-places=2",
      "platform.serving.pool.mix-places=1",
      "platform.serving.pool.max-rank=8",
      "platform.serving.pool.max-experts=4",
      "platform.serving.pool.max-top-k=2",
      "platform.serving.engine.max-rows=1",
      "platform.serving.engine.queue-capacity=4",
      "platform.serving.engine.warm-up-rounds=0"
    })
@PlatformBackends
public abstract class EngineTestBase {

  protected static final String ADMIN = "test-admin-token-0123456789abcdef";
  protected static final String BASE = "tiny-metered";
  protected static final ModelDims DIMS = TinyModels.smallDims();

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import({RegistryModule.class, ServingModule.class})
  public static class Launcher {}

  @LocalServerPort protected int port;

  protected ApiClient client(String token) {
    var c = new ApiClient();
    c.updateBaseUri("http://127.0.0.1:" + port);
    c.setRequestInterceptor(b -> b.header("Authorization", "Bearer " + token));
    return c;
  }

  /** The base model, uploaded once per context. */
  protected synchronized void ensureBaseModel() throws Exception {
    var api = new BaseModelsApi(client(ADMIN));
    try {
      api.getBaseModel(BASE);
    } catch (ApiException missing) {
      Path dir = Files.createTempDirectory("metered-base-");
      TinyModels.writeModel(dir, DIMS, 41, DType.F32, 1);
      Path config = dir.resolve("config.json");
      JsonObject json = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
      json.remove("eos_token_id");
      Files.writeString(config, json.toString());
      api.uploadBaseModel(
          BASE, List.of(config.toFile(), dir.resolve("model.safetensors").toFile()));
    }
  }

  /** A new LoRA adapter over the base model with one published version; returns its name. */
  protected String newAdapter(String prefix) throws Exception {
    ensureBaseModel();
    String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    var admin = client(ADMIN);
    new AdaptersApi(admin).createAdapter(new CreateAdapterRequest().name(name).baseModel(BASE));
    Path dir = Files.createTempDirectory("metered-adapter-");
    TinyModels.writeAdapter(
        dir,
        TinyModels.randomLora(DIMS, 4, 8.0, false, EnumSet.allOf(Projection.class), 43),
        8.0,
        false,
        DType.F32);
    new VersionsApi(admin)
        .publishVersion(
            name,
            List.of(
                dir.resolve("adapter_config.json").toFile(),
                dir.resolve("adapter_model.safetensors").toFile()),
            null);
    return name;
  }

  protected HttpResponse<String> get(String path, String token)
      throws IOException, InterruptedException {
    return getFrom(null, path, token);
  }

  /** A GET sent from {@code from} (another loopback address), or from the default when null. */
  protected HttpResponse<String> getFrom(InetAddress from, String path, String token)
      throws IOException, InterruptedException {
    var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    var client = HttpClient.newBuilder();
    if (from != null) {
      client.localAddress(from);
    }
    try (HttpClient http = client.build()) {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
  }

  protected HttpResponse<String> post(String path, String token, String body)
      throws IOException, InterruptedException {
    return post(HttpClient.newBuilder(), path, token, body);
  }

  /** As {@link #post(String, String, String)}, sent from another loopback address. */
  protected HttpResponse<String> postFrom(InetAddress from, String path, String token, String body)
      throws IOException, InterruptedException {
    return post(HttpClient.newBuilder().localAddress(from), path, token, body);
  }

  private HttpResponse<String> post(
      HttpClient.Builder client, String path, String token, String body)
      throws IOException, InterruptedException {
    var request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    try (HttpClient http = client.build()) {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
  }
}
