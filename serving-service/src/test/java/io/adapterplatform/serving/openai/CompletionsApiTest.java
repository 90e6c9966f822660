package io.adapterplatform.serving.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.core.type.TypeReference;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionTokenLogprob;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import io.adapterplatform.api.registry.client.AdaptersApi;
import io.adapterplatform.api.registry.client.BaseModelsApi;
import io.adapterplatform.api.registry.client.TokensApi;
import io.adapterplatform.api.registry.client.VersionsApi;
import io.adapterplatform.api.registry.invoker.ApiClient;
import io.adapterplatform.api.registry.model.CreateAdapterRequest;
import io.adapterplatform.api.registry.model.CreateTokenRequest;
import io.adapterplatform.api.registry.model.Role;
import io.adapterplatform.embedded.PlatformBackends;
import io.adapterplatform.engine.TestDevice;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.format.DType;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.testing.TinyModels;
import io.adapterplatform.registry.RegistryModule;
import io.adapterplatform.serving.OpenAiSdk;
import io.adapterplatform.serving.ServingModule;
import io.adapterplatform.serving.it.EngineAlone;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code /v1/completions}, {@code /v1/chat/completions} and {@code /v1/models} through OpenAI's
 * official Java SDK, against the real registry and the serving module in one context (embedded
 * backends): the engine fetches the base model from the registry and serves it with the continuous
 * batcher; greedy tokens equal the engine alone.
 */
@SpringBootTest(
    classes = CompletionsApiTest.Launcher.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.config.name=application,registry",
      "platform.auth.admin-token=" + CompletionsApiTest.ADMIN,
      "platform.registry.relay-interval=100ms",
      "platform.serving.pool.lora-places=2",
      "platform.serving.pool.mix-places=1",
      "platform.serving.pool.max-rank=8",
      "platform.serving.pool.max-experts=4",
      "platform.serving.pool.max-top-k=2",
      "platform.serving.engine.max-rows=8",
      "platform.serving.engine.queue-capacity=1",
      "platform.serving.engine.warm-up-rounds=0"
    })
@PlatformBackends
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CompletionsApiTest {

  static final String ADMIN = "test-admin-token-0123456789abcdef";
  static final String BASE = "tiny-openai";
  static final String PLAIN_BASE = "tiny-plain";
  static final String OTHER_ADAPTER = "other-lora";
  // in the scoped token's scopes, but without a live version
  static final String EMPTY_ADAPTER = "openai-empty";
  // what the ChatML template of chat/chatml-tokenizer_config.json renders for one user message
  static final String CHATML_HELLO =
      "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
          + "<|im_start|>user\nhello<|im_end|>\n"
          + "<|im_start|>assistant\n";
  static final ModelDims DIMS = TinyModels.tokenizerDims();
  static final long SEED = 29;

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import({RegistryModule.class, ServingModule.class})
  static class Launcher {}

  @LocalServerPort int port;

  private final JsonMapper json = JsonMapper.builder().build();
  private BaseModel reference;
  private HuggingFaceTokenizer tokenizer;
  private String adapter;
  private AdapterWeights adapterWeights;
  private OpenAIClient openai;

  @BeforeAll
  void publishBaseModelAndAdapter() throws Exception {
    Path dir = Files.createTempDirectory("openai-base-");
    Map<String, float[]> weights = TinyModels.writeModel(dir, DIMS, SEED, DType.F32, 1);
    TinyModels.writeTokenizer(dir);
    reference = BaseModel.fromWeights(DIMS, (n, s) -> weights.get(n), TestDevice.device());
    tokenizer =
        HuggingFaceTokenizer.builder()
            .optTokenizerPath(dir.resolve("tokenizer.json"))
            .optAddSpecialTokens(false)
            .build();
    var admin = client(ADMIN);
    copyResource("chat/chatml-tokenizer_config.json", dir.resolve("tokenizer_config.json"));
    new BaseModelsApi(admin)
        .uploadBaseModel(
            BASE,
            List.of(
                dir.resolve("config.json").toFile(),
                dir.resolve("model.safetensors").toFile(),
                dir.resolve("tokenizer.json").toFile(),
                dir.resolve("tokenizer_config.json").toFile()));
    Path plain = Files.createTempDirectory("openai-plain-");
    Files.copy(dir.resolve("config.json"), plain.resolve("config.json"));
    Files.copy(dir.resolve("model.safetensors"), plain.resolve("model.safetensors"));
    copyResource("chat/no-template-tokenizer_config.json", plain.resolve("tokenizer_config.json"));
    new BaseModelsApi(admin)
        .uploadBaseModel(
            PLAIN_BASE,
            List.of(
                plain.resolve("config.json").toFile(),
                plain.resolve("model.safetensors").toFile(),
                plain.resolve("tokenizer_config.json").toFile()));
    new AdaptersApi(admin)
        .createAdapter(new CreateAdapterRequest().name(OTHER_ADAPTER).baseModel(PLAIN_BASE));
    adapter = "openai-lora";
    new AdaptersApi(admin).createAdapter(new CreateAdapterRequest().name(adapter).baseModel(BASE));
    Path a = Files.createTempDirectory("openai-adapter-");
    adapterWeights =
        TinyModels.writeAdapter(
            a,
            TinyModels.randomLora(DIMS, 4, 8.0, false, EnumSet.allOf(Projection.class), 31),
            8.0,
            false,
            DType.F32);
    new VersionsApi(admin)
        .publishVersion(
            adapter,
            List.of(
                a.resolve("adapter_config.json").toFile(),
                a.resolve("adapter_model.safetensors").toFile()),
            null);
    new VersionsApi(admin)
        .publishVersion(
            OTHER_ADAPTER,
            List.of(
                a.resolve("adapter_config.json").toFile(),
                a.resolve("adapter_model.safetensors").toFile()),
            null);
    new AdaptersApi(admin)
        .createAdapter(new CreateAdapterRequest().name(EMPTY_ADAPTER).baseModel(BASE));
    openai = OpenAiSdk.client(port, ADMIN);
  }

  @AfterAll
  void close() {
    reference.close();
    tokenizer.close();
    openai.close();
  }

  @Test
  void greedyTokensOfTheBaseModelAndOfALoraEqualTheEngineAlone() {
    String prompt = "hello world";
    int[] promptIds = encode(prompt);

    Completion base = openai.completions().create(greedy(BASE, 10).prompt(prompt).build());
    Completion lora =
        openai
            .completions()
            .create(greedy(adapter + "@1", 10).promptOfArrayOfTokens(longs(promptIds)).build());

    assertGreedy(base.choices().getFirst(), promptIds, generate(null, promptIds, 10));
    assertGreedy(lora.choices().getFirst(), promptIds, generate(adapterWeights, promptIds, 10));
    assertThat(logprobs(lora.choices().getFirst()))
        .as("the server decoded the adapter's rows with the adapter, not the bare model")
        .isNotEqualTo(logprobs(base.choices().getFirst()));
    assertThat(base.usage().orElseThrow().promptTokens()).isEqualTo(promptIds.length);
    assertThat(base.usage().orElseThrow().completionTokens())
        .isEqualTo(tokenIds(base.choices().getFirst()).size());
  }

  @Test
  void anUnknownModelIsA404ThatTheSdkShows() {
    assertThatThrownBy(
            () -> openai.completions().create(greedy("no-such-model", 4).prompt("hi").build()))
        .isInstanceOfSatisfying(
            NotFoundException.class,
            e -> {
              assertThat(e.statusCode()).isEqualTo(404);
              assertThat(e.getMessage()).contains("no-such-model");
              assertThat(e.code()).contains("not-found");
            });
  }

  @Test
  void aTokenIdOutsideTheVocabularyIsA400NamingThePrompt() {
    assertThatThrownBy(
            () ->
                openai
                    .completions()
                    .create(
                        greedy(BASE, 4)
                            .promptOfArrayOfTokens(List.of(1L, (long) DIMS.vocabSize()))
                            .build()))
        .isInstanceOfSatisfying(
            BadRequestException.class,
            e -> {
              assertThat(e.getMessage()).contains("outside the vocabulary");
              assertThat(e.param()).contains("prompt");
            });
  }

  @Test
  void withoutATokenItIsA401ProblemWithAnOpenAiErrorInside() throws Exception {
    HttpResponse<String> response =
        post(null, "{\"model\":\"" + BASE + "\",\"prompt\":\"hi\",\"max_tokens\":2}");

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    JsonNode body = json.readTree(response.body());
    assertThat(body.get("status").asInt()).isEqualTo(401);
    assertThat(body.get("type").asString()).endsWith("/unauthorized");
    assertThat(body.at("/error/type").asString()).isEqualTo("authentication_error");
    assertThat(body.at("/error/message").asString()).contains("Authorization");
  }

  @Test
  void echoWithLogprobsScoresThePromptInTheLegacyShape() throws Exception {
    int[] promptIds = encode("abc");
    HttpResponse<String> response =
        post(
            ADMIN,
            "{\"model\":\""
                + BASE
                + "\",\"prompt\":"
                + Arrays.toString(promptIds)
                + ",\"max_tokens\":2,\"temperature\":0,\"echo\":true,\"logprobs\":2}");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode logprobs = json.readTree(response.body()).at("/choices/0/logprobs");
    int tokens = promptIds.length + 2;
    assertThat(logprobs.get("tokens")).hasSize(tokens);
    assertThat(logprobs.get("token_logprobs")).hasSize(tokens);
    assertThat(logprobs.get("token_logprobs").get(0).isNull()).isTrue();
    assertThat(logprobs.get("top_logprobs").get(0).isNull()).isTrue();
    assertThat(logprobs.get("top_logprobs").get(1).size()).isBetween(1, 2);
    assertThat(logprobs.get("token_logprobs").get(1).asDouble()).isLessThanOrEqualTo(0);
    assertThat(logprobs.get("text_offset").get(0).asInt()).isZero();
  }

  @Test
  void aStreamSendsTheSameTextAsOneAnswerAndEndsWithDone() throws Exception {
    String body =
        "{\"model\":\"" + adapter + "\",\"prompt\":\"hello\",\"max_tokens\":6,\"temperature\":0";
    JsonNode whole = json.readTree(post(ADMIN, body + "}").body());

    HttpResponse<String> stream =
        post(ADMIN, body + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");

    assertThat(stream.statusCode()).isEqualTo(200);
    List<String> events =
        stream.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
    assertThat(events.getLast()).isEqualTo("[DONE]");
    StringBuilder text = new StringBuilder();
    String finish = null;
    JsonNode usage = null;
    for (String e : events.subList(0, events.size() - 1)) {
      JsonNode chunk = json.readTree(e);
      for (JsonNode c : chunk.get("choices")) {
        text.append(c.get("text").asString());
        if (!c.get("finish_reason").isNull()) {
          finish = c.get("finish_reason").asString();
        }
      }
      if (chunk.has("usage")) {
        usage = chunk.get("usage");
      }
    }
    assertThat(text.toString()).isEqualTo(whole.at("/choices/0/text").asString());
    assertThat(finish).isEqualTo(whole.at("/choices/0/finish_reason").asString());
    assertThat(usage).isNotNull();
    assertThat(usage.get("completion_tokens").asInt())
        .isEqualTo(whole.at("/usage/completion_tokens").asInt());
  }

  @Test
  void moreChoicesThanRowsAndQueueIsA429WithRetryAfter() {
    // 8 rows and a queue of 1: the 10th of 16 long generations cannot be accepted
    assertThatThrownBy(
            () ->
                openai
                    .completions()
                    .create(
                        CompletionCreateParams.builder()
                            .model(BASE)
                            .prompt("hi")
                            .maxTokens(2000L)
                            .n(16L)
                            .build()))
        .isInstanceOfSatisfying(
            RateLimitException.class,
            e -> {
              assertThat(e.headers().values("Retry-After")).containsExactly("1");
              assertThat(e.type()).contains("rate_limit_error");
            });
  }

  @Test
  void aStopStringEndsTheTextBeforeIt() throws Exception {
    String body =
        "{\"model\":\"" + adapter + "\",\"prompt\":\"hello\",\"max_tokens\":12,\"temperature\":0";
    String whole = json.readTree(post(ADMIN, body + "}").body()).at("/choices/0/text").asString();
    assertThat(whole).hasSizeGreaterThan(5);
    String stop = whole.substring(3, 5);

    JsonNode stopped =
        json.readTree(post(ADMIN, body + ",\"stop\":[\"" + stop + "\"]}").body()).at("/choices/0");

    assertThat(stopped.get("text").asString()).isEqualTo(whole.substring(0, whole.indexOf(stop)));
    assertThat(stopped.get("finish_reason").asString()).isEqualTo("stop");
  }

  @Test
  void theServedApiDocsDescribeTheEndpoint() throws Exception {
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> docs =
          http.send(
              HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v3/api-docs"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(docs.statusCode()).isEqualTo(200);
      assertThat(
              json.readTree(docs.body()).at("/paths/~1v1~1completions/post/operationId").asString())
          .isEqualTo("createCompletion");
      assertThat(
              json.readTree(docs.body())
                  .at("/paths/~1v1~1chat~1completions/post/operationId")
                  .asString())
          .isEqualTo("createChatCompletion");
      assertThat(json.readTree(docs.body()).at("/paths/~1v1~1models/get/operationId").asString())
          .isEqualTo("listModels");
    }
  }

  @Test
  void aChatIsTheRenderedTemplateGeneratedAsTheEngineAloneWithChatLogprobs() {
    int[] promptIds = encode(CHATML_HELLO);
    List<Integer> expected = generate(null, promptIds, 10);

    ChatCompletion chat =
        openai
            .chat()
            .completions()
            .create(
                ChatCompletionCreateParams.builder()
                    .model(BASE)
                    .addUserMessage("hello")
                    .maxCompletionTokens(10L)
                    .temperature(0.0)
                    .logprobs(true)
                    .topLogprobs(2L)
                    .build());

    ChatCompletion.Choice choice = chat.choices().getFirst();
    assertThat(chat.id()).startsWith("chatcmpl-");
    assertThat(choice.message().content())
        .hasValue(
            tokenizer.decode(expected.stream().mapToLong(Integer::longValue).toArray(), true));
    boolean stopped = expected.getLast() == TinyModels.EOS_ID;
    assertThat(choice.finishReason().asString()).isEqualTo(stopped ? "stop" : "length");
    var usage = chat.usage().orElseThrow();
    assertThat(usage.promptTokens()).isEqualTo(promptIds.length);
    assertThat(usage.completionTokens()).isEqualTo(expected.size());
    List<ChatCompletionTokenLogprob> logprobs =
        choice.logprobs().orElseThrow().content().orElseThrow();
    assertThat(logprobs)
        .extracting(ChatCompletionTokenLogprob::token)
        .containsExactlyElementsOf(
            expected.stream().map(id -> tokenizer.decode(new long[] {id}, true)).toList());
    for (ChatCompletionTokenLogprob token : logprobs) {
      assertThat(token.logprob()).isLessThanOrEqualTo(0);
      assertThat(token.topLogprobs()).hasSizeBetween(1, 2);
      assertThat(token.topLogprobs().getFirst().logprob()).isEqualTo(token.logprob());
      assertThat(token.bytes().orElseThrow()).containsExactlyElementsOf(bytesOf(token.token()));
    }
  }

  @Test
  void aChatOnABaseModelWithoutATemplateIsA400NoChatTemplate() {
    assertThatThrownBy(
            () ->
                openai
                    .chat()
                    .completions()
                    .create(
                        ChatCompletionCreateParams.builder()
                            .model(PLAIN_BASE)
                            .addUserMessage("hello")
                            .maxCompletionTokens(4L)
                            .build()))
        .isInstanceOfSatisfying(
            BadRequestException.class,
            e -> {
              assertThat(e.code()).contains("no-chat-template");
              assertThat(e.getMessage()).contains(PLAIN_BASE);
            });
  }

  @Test
  void aChatStreamSendsDeltasWithTheRoleFirstAndTheSameTextAsOneAnswer() throws Exception {
    String body =
        "{\"model\":\""
            + adapter
            + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],"
            + "\"max_tokens\":6,\"temperature\":0";
    JsonNode whole = json.readTree(post("/v1/chat/completions", ADMIN, body + "}").body());
    assertThat(whole.get("object").asString()).isEqualTo("chat.completion");
    assertThat(whole.at("/choices/0/message/role").asString()).isEqualTo("assistant");

    HttpResponse<String> stream =
        post(
            "/v1/chat/completions",
            ADMIN,
            body + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");

    assertThat(stream.statusCode()).isEqualTo(200);
    List<String> events =
        stream.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
    assertThat(events.getLast()).isEqualTo("[DONE]");
    StringBuilder text = new StringBuilder();
    List<String> roles = new ArrayList<>();
    String finish = null;
    JsonNode usage = null;
    for (String e : events.subList(0, events.size() - 1)) {
      JsonNode chunk = json.readTree(e);
      assertThat(chunk.get("object").asString()).isEqualTo("chat.completion.chunk");
      for (JsonNode c : chunk.get("choices")) {
        text.append(c.at("/delta/content").asString(""));
        if (c.at("/delta/role").isString()) {
          roles.add(c.at("/delta/role").asString());
        }
        if (!c.get("finish_reason").isNull()) {
          finish = c.get("finish_reason").asString();
        }
      }
      if (chunk.has("usage")) {
        usage = chunk.get("usage");
      }
    }
    assertThat(roles).containsExactly("assistant");
    assertThat(text.toString()).isEqualTo(whole.at("/choices/0/message/content").asString());
    assertThat(finish).isEqualTo(whole.at("/choices/0/finish_reason").asString());
    assertThat(usage.get("completion_tokens").asInt())
        .isEqualTo(whole.at("/usage/completion_tokens").asInt());
  }

  @Test
  void theModelsAreTheBaseModelsAndTheAdaptersInTheTokensScopes() throws Exception {
    var all = openai.models().list().data();
    assertThat(all)
        .extracting(
            m ->
                m.id()
                    + ":"
                    + m._additionalProperties()
                        .getOrDefault("parent", JsonValue.from("-"))
                        .convert(String.class))
        .contains(
            BASE + ":-", PLAIN_BASE + ":-", adapter + ":" + BASE, OTHER_ADAPTER + ":" + PLAIN_BASE);
    assertThat(all).allSatisfy(m -> assertThat(m.created()).isPositive());
    assertThat(all).extracting(m -> m.id()).doesNotContain(EMPTY_ADAPTER);

    String scoped =
        new TokensApi(client(ADMIN))
            .createToken(
                new CreateTokenRequest()
                    .name("openai-reader")
                    .roles(List.of(Role.READER))
                    .scopes(List.of("openai-")))
            .getToken();
    OpenAIClient reader = OpenAiSdk.client(port, scoped);
    try {
      assertThat(reader.models().list().data())
          .extracting(m -> m.id())
          .contains(BASE, adapter)
          .doesNotContain(OTHER_ADAPTER, EMPTY_ADAPTER);
    } finally {
      reader.close();
    }
  }

  private static List<Long> bytesOf(String token) {
    List<Long> out = new ArrayList<>();
    for (byte b : token.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      out.add((long) (b & 0xff));
    }
    return out;
  }

  private static void copyResource(String name, Path to) throws IOException {
    try (var in = CompletionsApiTest.class.getClassLoader().getResourceAsStream(name)) {
      Files.copy(in, to);
    }
  }

  private static CompletionCreateParams.Builder greedy(String model, long maxTokens) {
    return CompletionCreateParams.builder()
        .model(model)
        .maxTokens(maxTokens)
        .temperature(0.0)
        .logprobs(0L)
        .putAdditionalBodyProperty("return_token_ids", JsonValue.from(true));
  }

  private void assertGreedy(CompletionChoice choice, int[] prompt, List<Integer> expected) {
    assertThat(choice._additionalProperties().get("prompt_token_ids").convert(INTS))
        .containsExactlyElementsOf(Arrays.stream(prompt).boxed().toList());
    assertThat(tokenIds(choice)).containsExactlyElementsOf(expected);
    boolean stopped = expected.getLast() == TinyModels.EOS_ID;
    assertThat(choice.finishReason().asString()).isEqualTo(stopped ? "stop" : "length");
    assertThat(choice.text())
        .isEqualTo(
            tokenizer.decode(expected.stream().mapToLong(Integer::longValue).toArray(), true));
  }

  private static List<Double> logprobs(CompletionChoice choice) {
    return choice.logprobs().orElseThrow().tokenLogprobs().orElseThrow();
  }

  private static final TypeReference<List<Integer>> INTS = new TypeReference<>() {};

  private static List<Integer> tokenIds(CompletionChoice choice) {
    return choice._additionalProperties().get("token_ids").convert(INTS);
  }

  /** The engine alone, greedy, as {@code engine generate}: stops after the end-of-sequence id. */
  private List<Integer> generate(AdapterWeights adapter, int[] prompt, int max) {
    return EngineAlone.untilEnd(reference, adapter, prompt, max, TinyModels.EOS_ID);
  }

  private int[] encode(String text) {
    return Arrays.stream(tokenizer.encode(text).getIds()).mapToInt(Math::toIntExact).toArray();
  }

  private static List<Long> longs(int[] ids) {
    return Arrays.stream(ids).mapToLong(i -> i).boxed().toList();
  }

  private HttpResponse<String> post(String token, String body)
      throws IOException, InterruptedException {
    return post("/v1/completions", token, body);
  }

  private HttpResponse<String> post(String path, String token, String body)
      throws IOException, InterruptedException {
    var request =
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    try (HttpClient http = HttpClient.newHttpClient()) {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
  }

  private ApiClient client(String token) {
    var c = new ApiClient();
    c.updateBaseUri("http://localhost:" + port);
    c.setRequestInterceptor(b -> b.header("Authorization", "Bearer " + token));
    return c;
  }
}
