package io.adapterplatform.serving.engine;

import io.adapterplatform.api.registry.client.AdaptersApi;
import io.adapterplatform.api.registry.client.BaseModelsApi;
import io.adapterplatform.api.registry.client.VersionsApi;
import io.adapterplatform.api.registry.invoker.ApiClient;
import io.adapterplatform.api.registry.model.CreateAdapterRequest;
import io.adapterplatform.engine.TestDevice;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.format.DType;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.testing.TinyModels;
import io.adapterplatform.serving.it.EngineAlone;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the engine lifecycle tests share: tiny base models and adapters published through the
 * registry's API, completions over HTTP, and the engine alone (one sequence, greedy) as the
 * reference.
 */
final class EngineTestSupport {

  static final String ADMIN = "test-admin-token-0123456789abcdef";
  static final ModelDims DIMS = TinyModels.smallDims();
  // writeModel's config.json: the last id ends a sequence
  static final int EOS = DIMS.vocabSize() - 1;
  static final JsonMapper JSON = JsonMapper.builder().build();

  private final int port;
  private final HttpClient http = HttpClient.newHttpClient();

  EngineTestSupport(int port) {
    this.port = port;
  }

  ApiClient client(String token) {
    var c = new ApiClient();
    c.updateBaseUri("http://localhost:" + port);
    c.setRequestInterceptor(b -> b.header("Authorization", "Bearer " + token));
    return c;
  }

  /** Publishes a tiny base model of seed {@code seed}; returns the engine's copy of it. */
  BaseModel publishBaseModel(String name, long seed) throws Exception {
    Path dir = Files.createTempDirectory("engine-base-");
    Map<String, float[]> weights = TinyModels.writeModel(dir, DIMS, seed, DType.F32, 1);
    new BaseModelsApi(client(ADMIN))
        .uploadBaseModel(
            name,
            List.of(
                dir.resolve("config.json").toFile(), dir.resolve("model.safetensors").toFile()));
    return BaseModel.fromWeights(DIMS, (n, s) -> weights.get(n), TestDevice.device());
  }

  /**
   * Publishes version 1 of a new LoRA adapter over {@code baseModel}; returns what a reader sees.
   */
  AdapterWeights publishLora(String adapter, String baseModel, long seed) throws Exception {
    new AdaptersApi(client(ADMIN))
        .createAdapter(new CreateAdapterRequest().name(adapter).baseModel(baseModel));
    Path dir = Files.createTempDirectory("engine-adapter-");
    AdapterWeights stored =
        TinyModels.writeAdapter(
            dir,
            // a strong adapter (scaling 16), so that its greedy tokens differ from the bare model's
            TinyModels.randomLora(DIMS, 4, 64.0, false, EnumSet.allOf(Projection.class), seed),
            64.0,
            false,
            DType.F32);
    new VersionsApi(client(ADMIN))
        .publishVersion(
            adapter,
            List.of(
                dir.resolve("adapter_config.json").toFile(),
                dir.resolve("adapter_model.safetensors").toFile()),
            null);
    return stored;
  }

  HttpResponse<String> complete(String model, int[] prompt, int maxTokens)
      throws IOException, InterruptedException {
    var body = JSON.createObjectNode();
    body.put("model", model);
    var ids = body.putArray("prompt");
    for (int id : prompt) {
      ids.add(id);
    }
    body.put("max_tokens", maxTokens);
    body.put("temperature", 0);
    body.put("return_token_ids", true);
    body.put("logprobs", 1);
    return http.send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/completions"))
            .header("Authorization", "Bearer " + ADMIN)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> getAsAdmin(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
            .header("Authorization", "Bearer " + ADMIN)
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The generated token ids of a 200 completion, or an assertion failure naming the answer. */
  static List<Integer> tokenIds(HttpResponse<String> response) {
    if (response.statusCode() != 200) {
      throw new AssertionError(
          "completion answered " + response.statusCode() + ": " + response.body());
    }
    JsonNode ids = JSON.readTree(response.body()).at("/choices/0/token_ids");
    List<Integer> out = new ArrayList<>();
    ids.forEach(n -> out.add(n.asInt()));
    return out;
  }

  /** The log-probabilities of the generated tokens of a 200 completion. */
  static List<Double> tokenLogprobs(HttpResponse<String> response) {
    List<Double> out = new ArrayList<>();
    JSON.readTree(response.body())
        .at("/choices/0/logprobs/token_logprobs")
        .forEach(n -> out.add(n.asDouble()));
    return out;
  }

  /**
   * The engine alone: greedy tokens of {@code model} with {@code adapter} (null: the bare model),
   * up to {@code max} or the end-of-sequence token (left out, as the server leaves it out).
   */
  static List<Integer> alone(BaseModel model, AdapterWeights adapter, int[] prompt, int max) {
    return withoutEos(EngineAlone.untilEnd(model, adapter, prompt, max, EOS));
  }

  /** The server's tokens without a final end-of-sequence token. */
  static List<Integer> withoutEos(List<Integer> tokens) {
    return !tokens.isEmpty() && tokens.getLast() == EOS
        ? tokens.subList(0, tokens.size() - 1)
        : tokens;
  }
}
