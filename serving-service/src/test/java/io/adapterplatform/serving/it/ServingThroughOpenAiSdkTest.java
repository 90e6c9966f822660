package io.adapterplatform.serving.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.type.TypeReference;
import com.google.gson.JsonParser;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import io.adapterplatform.api.registry.client.AdaptersApi;
import io.adapterplatform.api.registry.client.AliasesApi;
import io.adapterplatform.api.registry.client.BaseModelsApi;
import io.adapterplatform.api.registry.client.VersionsApi;
import io.adapterplatform.api.registry.invoker.ApiClient;
import io.adapterplatform.api.registry.model.CreateAdapterRequest;
import io.adapterplatform.api.registry.model.MoveAliasRequest;
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
import io.adapterplatform.serving.batch.ContinuousBatcher;
import io.adapterplatform.serving.engine.ServingEngine;
import io.adapterplatform.serving.it.BatcherGate.Peak;
import io.adapterplatform.serving.it.BatcherGate.StepWatch;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The "Must show" of issue 17 end to end: OpenAI's official Java SDK against the registry and the
 * serving module in one context on the embedded PostgreSQL, S3 and Kafka. A tiny random base model
 * (without an end-of-sequence id, so every generation runs to {@code max_tokens}) and adapters of
 * every kind in the real PEFT and MixLoRA formats are published through the registry's API; every
 * output is compared with the engine alone. Which requests share a step is decided with a {@link
 * BatcherGate} on the server's own batcher and checked with its stats, never left to timing.
 */
@SpringBootTest(
    classes = ServingThroughOpenAiSdkTest.Launcher.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.config.name=application,registry",
      "platform.auth.admin-token=" + ServingThroughOpenAiSdkTest.ADMIN,
      "platform.registry.relay-interval=100ms",
      // 6 LoRA/DoRA places and 3 MixLoRA places: the 8 adapters fit, a 7th LoRA evicts
      "platform.serving.pool.lora-places=6",
      "platform.serving.pool.mix-places=3",
      "platform.serving.pool.max-rank=8",
      "platform.serving.pool.max-experts=4",
      "platform.serving.pool.max-top-k=2",
      "platform.serving.engine.max-rows=16",
      "platform.serving.engine.queue-capacity=16",
      "platform.serving.engine.warm-up-rounds=0",
      "platform.serving.engine.retry-after=3s"
    })
@PlatformBackends
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServingThroughOpenAiSdkTest {

  // the other contexts' token: contexts of one JVM share the database, and a different configured
  // bootstrap token revokes the one before it (and stays revoked for the contexts that use it)
  static final String ADMIN = "test-admin-token-0123456789abcdef";
  static final String BASE = "tiny-it";
  static final ModelDims DIMS = TinyModels.smallDims();
  static final long BASE_SEED = 41;
  static final int ROWS = 16;
  static final int QUEUE = 16;
  private static final TypeReference<List<Integer>> INTS = new TypeReference<>() {};

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import({RegistryModule.class, ServingModule.class})
  static class Launcher {}

  /** A published adapter version and the weights a reader of it sees. */
  record Adapter(String name, int version, AdapterWeights weights) {
    String model() {
      return name + "@" + version;
    }
  }

  @LocalServerPort int port;
  @Autowired ServingEngine engine;
  @Autowired MeterRegistry meters;

  private final JsonMapper json = JsonMapper.builder().build();
  private final AtomicInteger names = new AtomicInteger();
  private final ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
  private BaseModel reference;
  private OpenAIClient openai;
  // three LoRA (one rsLoRA), two DoRA, three MixLoRA: the batcher tests' eight kinds
  private List<Adapter> kinds;

  @BeforeAll
  void publishTheBaseModelAndEightAdapters() throws Exception {
    Path dir = Files.createTempDirectory("it-base-");
    Map<String, float[]> weights = TinyModels.writeModel(dir, DIMS, BASE_SEED, DType.F32, 1);
    var config = JsonParser.parseString(Files.readString(dir.resolve("config.json")));
    config.getAsJsonObject().remove("eos_token_id");
    Files.writeString(dir.resolve("config.json"), config.toString());
    reference = BaseModel.fromWeights(DIMS, (n, s) -> weights.get(n), TestDevice.device());
    new BaseModelsApi(registry())
        .uploadBaseModel(
            BASE,
            List.of(
                dir.resolve("config.json").toFile(), dir.resolve("model.safetensors").toFile()));
    kinds =
        List.of(
            publish(
                TinyModels.randomLora(
                    DIMS, 4, 8, false, EnumSet.of(Projection.Q, Projection.V, Projection.GATE), 1),
                8,
                false),
            publish(
                TinyModels.randomLora(DIMS, 8, 16, true, EnumSet.allOf(Projection.class), 2),
                16,
                true),
            publish(
                TinyModels.randomLora(
                    DIMS, 2, 4, false, EnumSet.of(Projection.O, Projection.DOWN), 3),
                4,
                false),
            publish(
                TinyModels.randomDora(
                    DIMS, 4, 8, EnumSet.of(Projection.Q, Projection.UP, Projection.DOWN), 4),
                8,
                false),
            publish(
                TinyModels.randomDora(DIMS, 2, 4, EnumSet.of(Projection.K, Projection.V), 5),
                4,
                false),
            publish(
                TinyModels.randomMixLora(
                    DIMS, 4, 8, 4, 2, EnumSet.of(Projection.Q, Projection.V), null, 6),
                8,
                false),
            publish(
                TinyModels.randomMixLora(
                    DIMS, 2, 2, 3, 1, EnumSet.noneOf(Projection.class), null, 7),
                2,
                false),
            publish(
                TinyModels.randomMixLora(
                    DIMS, 8, 16, 2, 1, EnumSet.of(Projection.K, Projection.O), null, 8),
                16,
                false));
    openai = OpenAiSdk.client(port, ADMIN);
    Awaitility.setDefaultTimeout(Duration.ofMinutes(1));
    Awaitility.setDefaultPollInterval(Duration.ofMillis(20));
    // the first request starts the served base model (fetched from the registry)
    openai.completions().create(greedy(BASE, prompt(3, 0), 1).build());
  }

  @AfterAll
  void close() {
    clients.shutdownNow();
    openai.close();
    reference.close();
  }

  // ---- 1. outputs equal the engine alone, in shared batches

  @Test
  void sixteenConcurrentRequestsOverEveryKindShareStepsAndEachEqualsTheEngineAlone()
      throws Exception {
    kinds.forEach(a -> adminLoad(a.model()));
    int maxTokens = 12;
    List<Call> calls = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      Adapter adapter = i % 9 == 8 ? null : kinds.get(i % 9);
      calls.add(new Call(adapter, prompt(3 + i % 7, 100 + i), maxTokens, i % 4 == 3));
    }
    ContinuousBatcher batcher = batcher();

    Peak peak;
    List<Answer> answers;
    try (BatcherGate gate = BatcherGate.hold(batcher)) {
      List<CompletableFuture<Answer>> pending = calls.stream().map(this::async).toList();
      await().until(() -> leasesOf(kinds) == 15);
      StepWatch watch = StepWatch.start(batcher);
      gate.release();
      answers = pending.stream().map(CompletableFuture::join).toList();
      peak = watch.peak();
    }

    // the adapter requests were all queued before the first step (their leases were taken);
    // the base model's one has no lease to wait for and may join a step later
    assertThat(peak.adaptersInOneStep())
        .as("every adapter kind in one fused forward")
        .isGreaterThanOrEqualTo(8);
    assertThat(peak.running()).isGreaterThanOrEqualTo(15);
    for (int i = 0; i < calls.size(); i++) {
      Call call = calls.get(i);
      var expected = alone(call.adapter, call.prompt, maxTokens);
      assertThat(answers.get(i).tokens()).as("request %d", i).isEqualTo(expected.tokens());
      assertThat(answers.get(i).logprobs())
          .as("request %d", i)
          .usingElementComparator((x, y) -> Math.abs(x - y) <= 1e-4 ? 0 : Double.compare(x, y))
          .containsExactlyElementsOf(expected.logprobs());
      assertThat(answers.get(i).finishReason()).isEqualTo("length");
      if (call.adapter != null) {
        assertThat(maxDifference(expected, alone(null, call.prompt, maxTokens)))
            .as("%s changes the output: the equality is not the base model's", call.model())
            .isGreaterThan(1e-3);
      }
    }
  }

  private static double maxDifference(EngineAlone.Generation a, EngineAlone.Generation b) {
    double max = 0;
    for (int i = 0; i < a.logprobs().size(); i++) {
      max =
          Math.max(
              max,
              a.tokens().get(i).equals(b.tokens().get(i))
                  ? Math.abs(a.logprobs().get(i) - b.logprobs().get(i))
                  : Double.POSITIVE_INFINITY);
    }
    return max;
  }

  // ---- 2. seeded sampling does not depend on batch mates

  @Test
  void aSeededSampleIsTheSameAloneAndAmongSevenOthers() throws Exception {
    Adapter adapter = kinds.get(5);
    kinds.forEach(a -> adminLoad(a.model()));
    int[] prompt = prompt(5, 7);
    Supplier<CompletionCreateParams> seeded =
        () -> sampled(adapter.model(), prompt, 20, 0.9, 1234L).build();

    Answer alone = answer(openai.completions().create(seeded.get()));
    ContinuousBatcher batcher = batcher();
    Peak peak;
    Answer amongOthers;
    try (BatcherGate gate = BatcherGate.hold(batcher)) {
      List<CompletableFuture<Answer>> pending = new ArrayList<>();
      pending.add(
          CompletableFuture.supplyAsync(
              () -> answer(openai.completions().create(seeded.get())), clients));
      for (int i = 0; i < 7; i++) {
        Adapter mate = kinds.get(i);
        int[] p = prompt(2 + i, 500 + i);
        long seed = 99L + i;
        pending.add(
            CompletableFuture.supplyAsync(
                () ->
                    answer(
                        openai
                            .completions()
                            .create(sampled(mate.model(), p, 20, 1.0, seed).build())),
                clients));
      }
      await().until(() -> leasesOf(kinds) == 8);
      StepWatch watch = StepWatch.start(batcher);
      gate.release();
      amongOthers = pending.getFirst().join();
      pending.forEach(CompletableFuture::join);
      peak = watch.peak();
    }

    assertThat(peak.running()).isEqualTo(8);
    assertThat(peak.adaptersInOneStep()).isEqualTo(7);
    assertThat(amongOthers.tokens()).isEqualTo(alone.tokens());
    assertThat(alone.tokens())
        .as("it sampled: greedy would differ")
        .isNotEqualTo(alone(adapter, prompt, 20).tokens());
  }

  // ---- 3. an alias move during traffic

  @Test
  void anAliasMoveLetsRunningRequestsFinishOnTheOldVersionAndSendsNewOnesToTheNew()
      throws Exception {
    Adapter v1 =
        publish(
            TinyModels.randomLora(DIMS, 4, 8, false, EnumSet.allOf(Projection.class), 61),
            8,
            false);
    Adapter v2 =
        publishVersion(
            v1.name(),
            TinyModels.randomLora(DIMS, 4, 8, false, EnumSet.allOf(Projection.class), 62),
            8,
            false);
    var aliases = new AliasesApi(registry());
    aliases.moveAlias(v1.name(), "production", new MoveAliasRequest().version(v1.version()));
    adminLoad(v1.model());
    adminLoad(v2.model());
    long v2HitsBefore = view(v2).get("hits").asLong();
    int[] oldPrompt = prompt(4, 71);
    int[] newPrompt = prompt(6, 72);
    String production = v1.name() + "@production";
    ContinuousBatcher batcher = batcher();

    List<Integer> oldTokens = new ArrayList<>();
    CompletableFuture<Answer> after;
    try (StreamResponse<Completion> before =
        openai.completions().createStreaming(greedy(production, oldPrompt, 300).build())) {
      Iterator<Completion> chunks = before.stream().iterator();
      oldTokens.addAll(tokenIds(chunks.next().choices().getFirst()));
      try (BatcherGate gate = BatcherGate.hold(batcher)) {
        assertThat(view(v1).get("leases").asInt())
            .as("the first request is in flight")
            .isEqualTo(1);

        aliases.moveAlias(v1.name(), "production", new MoveAliasRequest().version(v2.version()));
        // the serving pod consumed registry.events: its handler touched the version now named
        await().until(() -> view(v2).get("hits").asLong() == v2HitsBefore + 1);
        after =
            CompletableFuture.supplyAsync(
                () -> answer(openai.completions().create(greedy(production, newPrompt, 8).build())),
                clients);
        await().until(() -> view(v2).get("leases").asInt() == 1);
        gate.release();
      }
      chunks.forEachRemaining(
          c -> c.choices().forEach(choice -> oldTokens.addAll(tokenIds(choice))));
    }

    assertThat(oldTokens).isEqualTo(alone(v1, oldPrompt, 300).tokens());
    assertThat(after.join().tokens()).isEqualTo(alone(v2, newPrompt, 8).tokens());
    assertThat(after.join().tokens()).isNotEqualTo(alone(v1, newPrompt, 8).tokens());
  }

  // ---- 4. eviction and reload; concurrent first loads load once

  @Test
  void aVersionEvictedFromTheDeviceIsReloadedAndStillEqualsTheEngineAlone() throws Exception {
    Adapter evicted =
        publish(
            TinyModels.randomLora(DIMS, 4, 8, false, EnumSet.allOf(Projection.class), 81),
            8,
            false);
    Adapter newest =
        publish(
            TinyModels.randomLora(DIMS, 2, 4, false, EnumSet.of(Projection.Q, Projection.DOWN), 82),
            4,
            false);
    int[] prompt = prompt(5, 83);
    var expected = alone(evicted, prompt, 6).tokens();
    assertThat(
            answer(openai.completions().create(greedy(evicted.model(), prompt, 6).build()))
                .tokens())
        .isEqualTo(expected);
    double evictionsBefore = deviceEvictions();

    // six other LoRA/DoRA versions, used after it, take all six places
    for (Adapter other :
        List.of(kinds.get(0), kinds.get(1), kinds.get(2), kinds.get(3), kinds.get(4), newest)) {
      openai.completions().create(greedy(other.model(), prompt, 1).build());
    }

    JsonNode out = view(evicted);
    assertThat(tiers(out)).doesNotContain("device").contains("host");
    assertThat(out.has("slot")).as("an adapter off the device has no slot").isFalse();
    assertThat(deviceEvictions()).isGreaterThan(evictionsBefore);

    Answer reloaded =
        answer(openai.completions().create(greedy(evicted.model(), prompt, 6).build()));

    assertThat(reloaded.tokens()).isEqualTo(expected);
    JsonNode back = view(evicted);
    assertThat(tiers(back)).contains("device");
    assertThat(back.get("hits").asLong()).isEqualTo(2);
  }

  @Test
  void concurrentFirstRequestsForOneVersionLoadItOnce() throws Exception {
    Adapter fresh =
        publish(TinyModels.randomDora(DIMS, 4, 8, EnumSet.allOf(Projection.class), 91), 8, false);
    int[] prompt = prompt(4, 92);
    long loadsBefore = loads();
    ContinuousBatcher batcher = batcher();

    List<Answer> answers;
    try (BatcherGate gate = BatcherGate.hold(batcher)) {
      // the load's device write waits for the held step thread, so all eight ask while it loads
      List<CompletableFuture<Answer>> pending = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        pending.add(
            CompletableFuture.supplyAsync(
                () -> answer(openai.completions().create(greedy(fresh.model(), prompt, 4).build())),
                clients));
      }
      await().until(() -> leasesOf(List.of(fresh)) == 8);
      gate.release();
      answers = pending.stream().map(CompletableFuture::join).toList();
    }

    assertThat(loads()).isEqualTo(loadsBefore + 1);
    assertThat(view(fresh).get("hits").asLong()).isEqualTo(8);
    var expected = alone(fresh, prompt, 4).tokens();
    assertThat(answers).allSatisfy(a -> assertThat(a.tokens()).isEqualTo(expected));
  }

  // ---- 5. overload

  @Test
  void overloadIsA429WithRetryAfterAndEveryAcceptedRequestCompletes() throws Exception {
    int[] prompt = prompt(4, 111);
    int sent = QUEUE + 4;
    ContinuousBatcher batcher = batcher();
    AtomicInteger refused = new AtomicInteger();
    List<CompletableFuture<Answer>> pending = new ArrayList<>();

    try (BatcherGate gate = BatcherGate.hold(batcher)) {
      for (int i = 0; i < sent; i++) {
        pending.add(
            CompletableFuture.supplyAsync(
                    () -> answer(openai.completions().create(greedy(BASE, prompt, 5).build())),
                    clients)
                .whenComplete(
                    (a, e) -> {
                      if (e != null) refused.incrementAndGet();
                    }));
      }
      // nothing runs while held: the queue takes QUEUE requests, the rest are refused at once
      await().until(() -> refused.get() == sent - QUEUE);
      assertThat(pending.stream().filter(CompletableFuture::isDone).count())
          .isEqualTo(sent - QUEUE);
      gate.release();
    }

    List<Answer> accepted = new ArrayList<>();
    for (var p : pending) {
      try {
        accepted.add(p.join());
      } catch (CompletionException e) {
        assertThat(e.getCause())
            .isInstanceOfSatisfying(
                RateLimitException.class,
                r -> {
                  assertThat(r.statusCode()).isEqualTo(429);
                  assertThat(r.headers().values("Retry-After")).containsExactly("3");
                  assertThat(r.type()).contains("rate_limit_error");
                });
      }
    }
    assertThat(accepted).hasSize(QUEUE);
    var expected = alone(null, prompt, 5).tokens();
    assertThat(accepted)
        .allSatisfy(
            a -> {
              assertThat(a.tokens()).isEqualTo(expected);
              assertThat(a.finishReason()).isEqualTo("length");
              assertThat(a.completionTokens()).isEqualTo(5);
            });
  }

  // ---- 6. disconnect

  @Test
  void aClientThatDisconnectsFreesItsRowWhileOthersContinue() throws Exception {
    Adapter staying = kinds.get(0);
    Adapter leaving = kinds.get(1);
    adminLoad(staying.model());
    adminLoad(leaving.model());
    int stayingSlot = view(staying).get("slot").asInt();
    int leavingSlot = view(leaving).get("slot").asInt();
    int[] prompt = prompt(4, 121);
    ContinuousBatcher batcher = batcher();

    CompletableFuture<Answer> stays =
        CompletableFuture.supplyAsync(
            () ->
                answer(openai.completions().create(greedy(staying.model(), prompt, 1500).build())),
            clients);
    await().until(() -> batcher.stats().runningAdapterSlots().contains(stayingSlot));
    try (StreamResponse<Completion> leaves =
        openai.completions().createStreaming(greedy(leaving.model(), prompt, 3000).build())) {
      Iterator<Completion> chunks = leaves.stream().iterator();
      assertThat(tokenIds(chunks.next().choices().getFirst())).isNotEmpty();
      await().until(() -> batcher.stats().runningAdapterSlots().contains(leavingSlot));
    }

    await().until(() -> !batcher.stats().runningAdapterSlots().contains(leavingSlot));
    assertThat(batcher.stats().runningAdapterSlots())
        .as("the other request still decodes")
        .contains(stayingSlot);
    await().until(() -> view(leaving).get("leases").asInt() == 0);
    Answer stayed = stays.join();
    assertThat(stayed.completionTokens()).isEqualTo(1500);
    assertThat(stayed.finishReason()).isEqualTo("length");
  }

  // ---- 7. errors through the SDK

  @Test
  void everyErrorIsTheSdksTypedExceptionWithTheOpenAiMessage() {
    int[] prompt = prompt(3, 131);
    assertThatThrownBy(
            () -> openai.completions().create(greedy("no-such-adapter", prompt, 2).build()))
        .isInstanceOfSatisfying(
            NotFoundException.class,
            e -> {
              assertThat(e.statusCode()).isEqualTo(404);
              assertThat(e.code()).contains("not-found");
              assertThat(e.getMessage()).contains("no-such-adapter");
            });
    assertThatThrownBy(
            () ->
                openai.completions().create(greedy(kinds.get(0).name() + "@99", prompt, 2).build()))
        .isInstanceOf(NotFoundException.class);
    assertThatThrownBy(
            () ->
                openai
                    .completions()
                    .create(greedy(BASE, new int[] {1, DIMS.vocabSize()}, 2).build()))
        .isInstanceOfSatisfying(
            BadRequestException.class,
            e -> {
              assertThat(e.param()).contains("prompt");
              assertThat(e.getMessage()).contains("outside the vocabulary");
            });
    assertBadParameter(greedy(BASE, prompt, 2).temperature(2.5), "temperature");
    assertBadParameter(greedy(BASE, prompt, 2).topP(0.0), "top_p");
    assertBadParameter(greedy(BASE, prompt, 2).n(17L), "n");
    assertBadParameter(greedy(BASE, prompt, 2).logprobs(21L), "logprobs");
    assertBadParameter(greedy(BASE, prompt, 0), "max_tokens");
    assertBadParameter(
        greedy(BASE, prompt, 2).stopOfStrings(List.of("a", "b", "c", "d", "e")), "stop");
    assertBadParameter(greedy("Not A Name!", prompt, 2), "model");

    OpenAIClient stranger = OpenAiSdk.client(port, "not-a-token-of-this-platform-0123456789");
    try {
      assertThatThrownBy(() -> stranger.completions().create(greedy(BASE, prompt, 2).build()))
          .isInstanceOfSatisfying(
              UnauthorizedException.class,
              e -> {
                assertThat(e.statusCode()).isEqualTo(401);
                assertThat(e.type()).contains("authentication_error");
              });
    } finally {
      stranger.close();
    }
  }

  @Test
  void withoutATokenTheAnswerIsA401WithAnOpenAiErrorInside() throws Exception {
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/completions"))
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"model\":\"" + BASE + "\",\"prompt\":[1,2],\"max_tokens\":2}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(response.statusCode()).isEqualTo(401);
      JsonNode body = json.readTree(response.body());
      assertThat(body.at("/error/type").asString()).isEqualTo("authentication_error");
      assertThat(body.at("/error/message").asString()).isNotBlank();
    }
  }

  // ---- helpers

  private void assertBadParameter(CompletionCreateParams.Builder params, String field) {
    assertThatThrownBy(() -> openai.completions().create(params.build()))
        .as(field)
        .isInstanceOfSatisfying(
            BadRequestException.class,
            e -> {
              assertThat(e.statusCode()).isEqualTo(400);
              assertThat(e.param()).contains(field);
              assertThat(e.getMessage()).isNotBlank();
            });
  }

  /** One request of a mixed batch: its model (null: the base model) and whether it streams. */
  private record Call(Adapter adapter, int[] prompt, int maxTokens, boolean stream) {
    String model() {
      return adapter == null ? BASE : adapter.model();
    }
  }

  /** What came back: generated token ids, their log-probabilities, the finish and the usage. */
  private record Answer(
      List<Integer> tokens, List<Double> logprobs, String finishReason, long completionTokens) {}

  private CompletableFuture<Answer> async(Call call) {
    return CompletableFuture.supplyAsync(
        () ->
            call.stream()
                ? streamed(call)
                : answer(
                    openai
                        .completions()
                        .create(greedy(call.model(), call.prompt(), call.maxTokens()).build())),
        clients);
  }

  private Answer streamed(Call call) {
    List<Integer> tokens = new ArrayList<>();
    List<Double> logprobs = new ArrayList<>();
    String[] finish = new String[1];
    try (StreamResponse<Completion> chunks =
        openai
            .completions()
            .createStreaming(greedy(call.model(), call.prompt(), call.maxTokens()).build())) {
      chunks.stream()
          .forEach(
              chunk ->
                  chunk
                      .choices()
                      .forEach(
                          c -> {
                            tokens.addAll(tokenIds(c));
                            c.logprobs()
                                .flatMap(l -> l.tokenLogprobs())
                                .ifPresent(logprobs::addAll);
                            c._finishReason().asKnown().ifPresent(f -> finish[0] = f.asString());
                          }));
    }
    return new Answer(tokens, logprobs, finish[0], tokens.size());
  }

  private static Answer answer(Completion completion) {
    CompletionChoice c = completion.choices().getFirst();
    return new Answer(
        tokenIds(c),
        c.logprobs().flatMap(l -> l.tokenLogprobs()).orElse(List.of()),
        c.finishReason().asString(),
        completion.usage().orElseThrow().completionTokens());
  }

  private static List<Integer> tokenIds(CompletionChoice choice) {
    JsonValue ids = choice._additionalProperties().get("token_ids");
    return ids == null ? List.of() : ids.convert(INTS);
  }

  private static CompletionCreateParams.Builder greedy(String model, int[] prompt, long maxTokens) {
    return CompletionCreateParams.builder()
        .model(model)
        .promptOfArrayOfTokens(Arrays.stream(prompt).mapToLong(i -> i).boxed().toList())
        .maxTokens(maxTokens)
        .temperature(0.0)
        .logprobs(0L)
        .putAdditionalBodyProperty("return_token_ids", JsonValue.from(true));
  }

  private static CompletionCreateParams.Builder sampled(
      String model, int[] prompt, long maxTokens, double temperature, long seed) {
    return greedy(model, prompt, maxTokens).temperature(temperature).seed(seed);
  }

  private EngineAlone.Generation alone(Adapter adapter, int[] prompt, int max) {
    return EngineAlone.generate(reference, adapter == null ? null : adapter.weights(), prompt, max);
  }

  private static int[] prompt(int length, long seed) {
    var random = new SplittableRandom(seed);
    int[] p = new int[length];
    for (int i = 0; i < length; i++) {
      p[i] = random.nextInt(DIMS.vocabSize());
    }
    return p;
  }

  private ContinuousBatcher batcher() {
    return engine.current().orElseThrow().batcher();
  }

  private long loads() {
    var timer = meters.find("serving.pool.loads").timer();
    return timer == null ? 0 : timer.count();
  }

  private double deviceEvictions() {
    return meters.find("serving.pool.evictions").tag("tier", "device").counters().stream()
        .mapToDouble(c -> c.count())
        .sum();
  }

  // ---- the registry's and the pool's admin APIs

  private Adapter publish(AdapterWeights weights, double alpha, boolean rslora) throws Exception {
    String name = "it-" + names.incrementAndGet() + "-" + kindOf(weights);
    new AdaptersApi(registry())
        .createAdapter(new CreateAdapterRequest().name(name).baseModel(BASE));
    return publishVersion(name, weights, alpha, rslora);
  }

  private static String kindOf(AdapterWeights w) {
    return w.getClass().getSimpleName().toLowerCase(Locale.ROOT);
  }

  private Adapter publishVersion(String name, AdapterWeights weights, double alpha, boolean rslora)
      throws Exception {
    Path dir = Files.createTempDirectory("it-adapter-");
    AdapterWeights stored = TinyModels.writeAdapter(dir, weights, alpha, rslora, DType.F32);
    var version =
        new VersionsApi(registry())
            .publishVersion(
                name,
                List.of(
                    dir.resolve("adapter_config.json").toFile(),
                    dir.resolve("adapter_model.safetensors").toFile()),
                null);
    return new Adapter(name, version.getVersion(), stored);
  }

  private ApiClient registry() {
    var c = new ApiClient();
    c.updateBaseUri("http://localhost:" + port);
    c.setRequestInterceptor(b -> b.header("Authorization", "Bearer " + ADMIN));
    return c;
  }

  private void adminLoad(String model) {
    HttpResponse<String> r = admin("POST", "/api/v1/serving/adapters/" + model + ":load");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  /** The pool's admin view of {@code adapter}'s version. */
  private JsonNode view(Adapter adapter) {
    HttpResponse<String> r = admin("GET", "/api/v1/serving/adapters");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    for (JsonNode item : json.readTree(r.body()).get("items")) {
      if (item.get("adapter").asString().equals(adapter.name())
          && item.get("version").asInt() == adapter.version()) {
        return item;
      }
    }
    throw new AssertionError(adapter.model() + " is not in the pool");
  }

  private static List<String> tiers(JsonNode view) {
    List<String> out = new ArrayList<>();
    view.get("tiers").forEach(t -> out.add(t.asString().toLowerCase(Locale.ROOT)));
    return out;
  }

  private int leasesOf(List<Adapter> adapters) {
    HttpResponse<String> r = admin("GET", "/api/v1/serving/adapters");
    int leases = 0;
    for (JsonNode item : json.readTree(r.body()).get("items")) {
      for (Adapter a : adapters) {
        if (item.get("adapter").asString().equals(a.name())
            && item.get("version").asInt() == a.version()) {
          leases += item.get("leases").asInt();
        }
      }
    }
    return leases;
  }

  private HttpResponse<String> admin(String method, String path) {
    try (HttpClient http = HttpClient.newHttpClient()) {
      return http.send(
          HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
              .header("Authorization", "Bearer " + ADMIN)
              .method(method, HttpRequest.BodyPublishers.noBody())
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
