package io.adapterplatform.local.standalone;

import io.adapterplatform.api.registry.client.BaseModelsApi;
import io.adapterplatform.api.registry.client.TokensApi;
import io.adapterplatform.api.registry.invoker.ApiClient;
import io.adapterplatform.api.registry.invoker.ApiException;
import io.adapterplatform.api.registry.model.CreateTokenRequest;
import io.adapterplatform.api.registry.model.Role;
import io.adapterplatform.embedded.BackendEndpoints;
import io.adapterplatform.engine.format.BaseModelLayout;
import io.adapterplatform.engine.format.DType;
import io.adapterplatform.engine.format.ModelConfig;
import io.adapterplatform.engine.format.SafetensorsWriter;
import io.adapterplatform.registry.RegistryApplication;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The registry as its own application, and what the standalone services' tests call over HTTP. */
final class Standalone {

  static final String ADMIN = "standalone-admin-token-0123456789abcdef";
  static final JsonMapper JSON = JsonMapper.builder().build();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** Small, but a real LLaMA layout: the training service reads its projections. */
  static final ModelConfig MODEL =
      new ModelConfig(
          "llama", List.of("LlamaForCausalLM"), 8, 16, 2, 2, 1, 4, 1e-6, 10000.0, false, 32, 128);

  private Standalone() {}

  /** The registry started as RegistryApplication's main starts it, on the chart's environment. */
  static ConfigurableApplicationContext registry(BackendEndpoints backends) {
    var app = new SpringApplication(RegistryApplication.class);
    app.setDefaultProperties(Map.of("spring.config.name", "application,registry"));
    return ChartEnvironment.run(app, ChartEnvironment.common(backends, ADMIN));
  }

  static String url(ConfigurableApplicationContext context) {
    return "http://localhost:" + context.getEnvironment().getRequiredProperty("local.server.port");
  }

  static ApiClient client(String baseUrl, String token) {
    var c = new ApiClient();
    c.updateBaseUri(baseUrl);
    c.setRequestInterceptor(b -> b.header("Authorization", "Bearer " + token));
    return c;
  }

  static String tokenWith(String registryUrl, Role... roles) throws ApiException {
    return new TokensApi(client(registryUrl, ADMIN))
        .createToken(
            new CreateTokenRequest().name("standalone-" + unique()).roles(Arrays.asList(roles)))
        .getToken();
  }

  static String unique() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  /** Uploads a base model of zero weights named {@code name} to the registry. */
  static void uploadBaseModel(String registryUrl, String name) throws Exception {
    Path dir = Files.createTempDirectory("standalone-base-");
    Files.write(dir.resolve("config.json"), MODEL.toJson());
    var weights = new SafetensorsWriter();
    BaseModelLayout.expectedShapes(MODEL)
        .forEach(
            (tensor, shape) ->
                weights.addFloats(
                    tensor,
                    DType.F32,
                    shape,
                    new float[(int) Arrays.stream(shape).reduce(1, (a, b) -> a * b)]));
    weights.writeTo(dir.resolve("model.safetensors"));
    Files.writeString(dir.resolve("tokenizer.json"), "{\"version\": \"1.0\"}");
    new BaseModelsApi(client(registryUrl, ADMIN))
        .uploadBaseModel(
            name,
            List.of(
                dir.resolve("config.json").toFile(),
                dir.resolve("model.safetensors").toFile(),
                dir.resolve("tokenizer.json").toFile()));
  }

  record Response(int status, String contentType, String body) {
    JsonNode json() {
      return JSON.readTree(body);
    }
  }

  static Response get(String url, String token) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(url)).GET(), token);
  }

  static Response send(HttpRequest.Builder request, String token) throws Exception {
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> r = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    return new Response(
        r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
  }

  /** The names of the beans whose classes belong to the registry's module. */
  static List<String> registryBeans(ConfigurableApplicationContext context) {
    return Arrays.stream(context.getBeanDefinitionNames())
        .filter(
            name -> {
              var type = context.getType(name);
              return type != null && type.getName().startsWith("io.adapterplatform.registry.");
            })
        .toList();
  }
}
