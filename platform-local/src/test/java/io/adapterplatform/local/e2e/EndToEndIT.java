package io.adapterplatform.local.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.type.TypeReference;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import io.adapterplatform.api.registry.client.AdaptersApi;
import io.adapterplatform.api.registry.client.AliasesApi;
import io.adapterplatform.api.registry.client.BaseModelsApi;
import io.adapterplatform.api.registry.client.VersionsApi;
import io.adapterplatform.api.registry.invoker.ApiClient;
import io.adapterplatform.api.registry.model.Compose;
import io.adapterplatform.api.registry.model.ComposeRequest;
import io.adapterplatform.api.registry.model.CreateAdapterRequest;
import io.adapterplatform.api.registry.model.MoveAliasRequest;
import io.adapterplatform.api.registry.model.RouterInit;
import io.adapterplatform.api.serving.client.ServingAdminApi;
import io.adapterplatform.api.serving.model.ServingAdapter;
import io.adapterplatform.api.serving.model.ServingTier;
import io.adapterplatform.api.training.client.DatasetsApi;
import io.adapterplatform.api.training.client.JobsApi;
import io.adapterplatform.api.training.model.Job;
import io.adapterplatform.api.training.model.JobMethod;
import io.adapterplatform.api.training.model.JobOutput;
import io.adapterplatform.api.training.model.JobRequest;
import io.adapterplatform.api.training.model.JobState;
import io.adapterplatform.api.training.model.LoraSpec;
import io.adapterplatform.api.training.model.MixLoraSpec;
import io.adapterplatform.api.training.model.RouterSpec;
import io.adapterplatform.api.training.model.TrainingSpec;
import io.adapterplatform.engine.cli.EngineCli;
import io.adapterplatform.engine.format.AdapterKeys;
import io.adapterplatform.engine.format.DType;
import io.adapterplatform.engine.format.SafetensorsFile;
import io.adapterplatform.engine.testing.TinyModels;
import io.adapterplatform.local.LocalPlatform;
import io.adapterplatform.local.bench.RegistryHttp;
import io.adapterplatform.serving.engine.ResidentModel;
import io.adapterplatform.serving.engine.ServingEngine;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Issue 18's end-to-end flow on the one-JVM platform ({@code bin/platform up}'s launcher: every
 * service in one Spring context on the embedded PostgreSQL, S3 and Kafka), through what users call:
 * the registry's and the training API's generated Java clients, and OpenAI's official Java SDK. A
 * tiny trainable base model is published; a LoRA, a second LoRA (the other expert) and a MixLoRA
 * job train fused; a MixLoRA composed of the two LoRAs gets its router trained; all of them and the
 * bare model are served in one forward pass, each answer equal to {@code bin/platform engine
 * generate} on the published files; then an alias moves and serving follows. The steps build on
 * each other, so they run in order on one platform.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EndToEndIT {

  static final String ADMIN = "e2e-admin-token-0123456789abcdefghij";
  static final String BASE = "e2e-tiny";
  static final String LETTERS = "letters";
  static final String REVERSED = "reversed";
  static final String MIXED = "mixed";
  static final String COMPOSED = "composed";
  static final String ROUTED = "routed";
  static final List<String> FFN = List.of("gate_proj", "up_proj", "down_proj");
  static final int MAX_TOKENS = 8;

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final TypeReference<List<Integer>> INTS = new TypeReference<>() {};

  private final ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
  private Path work;
  private Path baseDir;
  private LocalPlatform.Running platform;
  private String url;
  private OpenAIClient openai;
  private String lettersTask;
  private final Map<String, Job> jobs = new LinkedHashMap<>();
  private final Map<String, List<Integer>> servedBefore = new LinkedHashMap<>();

  @BeforeAll
  void startThePlatform() throws Exception {
    work = Files.createTempDirectory("e2e-");
    platform =
        LocalPlatform.start(
            work.resolve("data"),
            0,
            ADMIN,
            Map.of(
                "logging.level.root", "WARN",
                "spring.main.banner-mode", "off",
                // jobs submitted together start together once the worker has the base model
                "platform.training.worker.fuse-window", "2s",
                "platform.training.worker.poll-interval", "200ms",
                "platform.registry.relay-interval", "100ms",
                "platform.serving.engine.warm-up-rounds", "0"));
    url = "http://127.0.0.1:" + platform.port();
    openai =
        OpenAIOkHttpClient.builder()
            .baseUrl(url + "/v1")
            .apiKey(ADMIN)
            .maxRetries(0)
            .timeout(Duration.ofMinutes(2))
            .build();
  }

  @AfterAll
  void stopThePlatform() throws Exception {
    clients.shutdownNow();
    if (openai != null) {
      openai.close();
    }
    if (platform != null) {
      platform.close();
    }
    try (var files = Files.walk(work)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  // ---- 1. a tiny base model, built here in the real format, published with the generated client

  @Test
  @Order(1)
  void publishesATinyBaseModelWithTheGeneratedClient() throws Exception {
    baseDir = Files.createDirectories(work.resolve("base"));
    TinyModels.writeModel(baseDir, TinyModels.tokenizerDims(), 7, DType.F32, 1);
    TinyModels.writeTokenizer(baseDir);

    var published =
        new BaseModelsApi(registry())
            .uploadBaseModel(
                BASE,
                List.of(
                    baseDir.resolve("config.json").toFile(),
                    baseDir.resolve("model.safetensors").toFile(),
                    baseDir.resolve("tokenizer.json").toFile()));

    assertThat(published.getName()).isEqualTo(BASE);
  }

  // ---- 2 and 3. two datasets; a LoRA, a second LoRA and a MixLoRA job trained fused

  @Test
  @Order(2)
  void trainsLoraAndMixLoraJobsFusedAndAliasesTheirResultsProduction() throws Exception {
    lettersTask = uploadDataset("letters-task", task("abcdefgh", 48, 1));
    String reversed = uploadDataset("reversed-task", task("hgfedcba", 48, 2));
    LoraSpec ffnLora = new LoraSpec().r(4).alpha(8.0).targetModules(FFN);

    submit(LETTERS, job(lettersTask, LETTERS, "production", JobMethod.LORA, 1).lora(ffnLora));
    submit(REVERSED, job(reversed, REVERSED, null, JobMethod.LORA, 2).lora(ffnLora));
    submit(
        MIXED,
        job(reversed, MIXED, "production", JobMethod.MIXLORA, 3)
            .lora(
                new LoraSpec()
                    .r(4)
                    .alpha(8.0)
                    .targetModules(
                        List.of("q_proj", "v_proj", "gate_proj", "up_proj", "down_proj")))
            .mixlora(new MixLoraSpec().numExperts(4).topK(2)));
    for (String name : List.copyOf(jobs.keySet())) {
      jobs.put(name, awaitSucceeded(jobs.get(name).getId()));
    }

    for (String name : jobs.keySet()) {
      Job job = jobs.get(name);
      var others = jobs.values().stream().map(Job::getId).filter(id -> !id.equals(job.getId()));
      assertThat(job.getFusedWith()).as("fusedWith of %s", name).containsAll(others.toList());
      assertThat(job.getMetrics().getFinalLoss())
          .as("final loss of %s", name)
          .isLessThan(0.5 * job.getMetrics().getInitialLoss());
      assertThat(job.getResult().getAdapter()).isEqualTo(name);
    }
    var aliases = new AliasesApi(registry());
    assertThat(aliases.getAlias(LETTERS, "production").getVersion())
        .isEqualTo(resultVersion(LETTERS))
        .isEqualTo(1);
    assertThat(aliases.getAlias(MIXED, "production").getVersion()).isEqualTo(resultVersion(MIXED));
    assertThat(new VersionsApi(registry()).getVersion(MIXED, "production").getKind().getValue())
        .isEqualTo("MIXLORA");
  }

  // ---- 4. a MixLoRA composed from the two LoRA experts; its router trained

  @Test
  @Order(3)
  void composesAMixLoraFromTheTwoExpertsAndTrainsItsRouterAlone() throws Exception {
    new AdaptersApi(registry())
        .createAdapter(new CreateAdapterRequest().name(COMPOSED).baseModel(BASE));
    new VersionsApi(registry())
        .composeVersion(
            COMPOSED,
            new ComposeRequest()
                .compose(
                    new Compose()
                        .experts(List.of(LETTERS + "@production", REVERSED + "@1"))
                        .topK(2)
                        .router(
                            new RouterInit()
                                .init(RouterInit.InitEnum.RANDOM)
                                .range(0.5)
                                .seed(3L))));
    // trained on the first expert's task, the router learns to prefer that expert
    submit(
        ROUTED,
        job(lettersTask, ROUTED, "production", JobMethod.ROUTER, 6)
            .router(new RouterSpec().from(COMPOSED + "@1")));
    Job job = awaitSucceeded(jobs.get(ROUTED).getId());
    jobs.put(ROUTED, job);

    assertThat(job.getMetrics().getFinalLoss()).isLessThan(job.getMetrics().getInitialLoss());
    Map<String, float[]> before = tensors(download(COMPOSED, "1"));
    Map<String, float[]> after = tensors(download(ROUTED, "production"));
    assertThat(after.keySet()).isEqualTo(before.keySet());
    int layers = TinyModels.tokenizerDims().numLayers();
    int routers = 0;
    for (String name : before.keySet()) {
      boolean router = false;
      for (int layer = 0; layer < layers; layer++) {
        router |= name.equals(AdapterKeys.mixloraRouter(layer));
      }
      if (router) {
        routers++;
        assertThat(after.get(name)).as("trained router %s", name).isNotEqualTo(before.get(name));
      } else {
        assertThat(after.get(name)).as("expert tensor %s", name).isEqualTo(before.get(name));
      }
    }
    assertThat(routers).isEqualTo(layers);
  }

  // ---- 5. all of them in one mixed batch through OpenAI's SDK, each equal to the engine alone

  @Test
  @Order(4)
  void servesTheBaseModelAndEveryTrainedAdapterInOneForwardPassAsTheEngineAloneWould()
      throws Exception {
    // name -> prompt: each adapter gets a letter of its task
    var requests = new LinkedHashMap<String, String>();
    requests.put(BASE, "c");
    requests.put(LETTERS + "@production", "c");
    requests.put(MIXED + "@production", "f");
    requests.put(ROUTED + "@production", "c");
    // the first request starts the served base model; the adapters go onto the device ahead
    openai.completions().create(greedy(BASE, "a").build());
    var servingAdmin = new ServingAdminApi(serving());
    for (String model : requests.keySet()) {
      if (!model.equals(BASE)) {
        servingAdmin.loadServingAdapter(model);
      }
    }
    ServingEngine engine = platform.context().getBean(ServingEngine.class);
    var batcher = engine.current().orElseThrow().batcher();

    var answers = new LinkedHashMap<String, CompletableFuture<List<Integer>>>();
    int mostAdapters;
    try (StepWatch watch = StepWatch.hold(batcher)) {
      requests.forEach(
          (model, prompt) ->
              answers.put(
                  model,
                  CompletableFuture.supplyAsync(
                      () -> tokenIds(openai.completions().create(greedy(model, prompt).build())),
                      clients)));
      // every request holds the base model and, but the bare one, its adapter's place: each is
      // about to wait in the held batcher's queue
      await()
          .atMost(Duration.ofMinutes(1))
          .until(() -> inFlight(engine) == requests.size() && adapterLeases() == 3);
      watch.release();
      answers.values().forEach(CompletableFuture::join);
      mostAdapters = watch.mostAdaptersInOneStep();
    }

    assertThat(mostAdapters).as("base model and three adapters in one forward pass").isEqualTo(4);
    for (var entry : requests.entrySet()) {
      String model = entry.getKey();
      List<Integer> served = answers.get(model).join();
      assertThat(served).as("%s served", model).isNotEmpty();
      assertThat(served)
          .as("%s equals `engine generate` on its published files", model)
          .isEqualTo(engineAlone(model, entry.getValue()));
      servedBefore.put(model, served);
    }
    List<Integer> bare = engineAlone(BASE, "c");
    assertThat(servedBefore.get(LETTERS + "@production"))
        .as("the trained LoRA changed the base model's output on its task")
        .isNotEqualTo(bare);
    assertThat(servedBefore.get(ROUTED + "@production")).isNotEqualTo(bare);
    assertThat(servedBefore.get(MIXED + "@production")).isNotEqualTo(engineAlone(BASE, "f"));
  }

  // ---- 6. an alias moves; serving follows

  @Test
  @Order(5)
  void servingFollowsAnAliasThatMoves() throws Exception {
    // a second version of `letters`: the other expert's files, published as they were downloaded
    Path other = download(REVERSED, "1");
    int second =
        new VersionsApi(registry())
            .publishVersion(
                LETTERS,
                List.of(
                    other.resolve("adapter_config.json").toFile(),
                    other.resolve("adapter_model.safetensors").toFile()),
                null)
            .getVersion();

    new AliasesApi(registry())
        .moveAlias(LETTERS, "production", new MoveAliasRequest().version(second));
    // the serving side consumed registry.events: the alias's old version was on the device, so
    // its handler loads the version now named ahead of requests
    await().atMost(Duration.ofMinutes(1)).until(() -> onDevice(LETTERS, second));

    List<Integer> now =
        tokenIds(openai.completions().create(greedy(LETTERS + "@production", "c").build()));
    assertThat(now).isEqualTo(engineAlone(LETTERS + "@" + second, "c"));
    assertThat(now).isNotEqualTo(servedBefore.get(LETTERS + "@production"));
  }

  // ---- the task, the jobs

  /** {@code count} records: a letter of {@code cycle}, then the next five of it. */
  static String task(String cycle, int count, long seed) {
    var random = new SplittableRandom(seed);
    var out = new StringBuilder();
    for (int i = 0; i < count; i++) {
      int start = random.nextInt(cycle.length());
      var completion = new StringBuilder();
      for (int k = 1; k <= 5; k++) {
        completion.append(cycle.charAt((start + k) % cycle.length()));
      }
      out.append(
          "{\"prompt\": \"%s\", \"completion\": \"%s\"}\n"
              .formatted(cycle.charAt(start), completion));
    }
    return out.toString();
  }

  private static JobRequest job(
      String dataset, String adapter, String alias, JobMethod method, long seed) {
    return new JobRequest()
        .baseModel(BASE)
        .dataset(dataset)
        .output(new JobOutput().adapter(adapter).alias(alias))
        .method(method)
        .training(
            new TrainingSpec()
                .steps(24)
                .batchSize(4)
                .learningRate(0.03)
                .warmupSteps(2)
                .schedule("cosine")
                .maxSeqLen(16)
                .seed(seed));
  }

  private String uploadDataset(String name, String jsonl) throws Exception {
    Path file = RegistryHttp.textFile(work, name + ".jsonl", jsonl);
    var response = new DatasetsApi(training()).uploadDatasetWithHttpInfo(name, file.toFile(), null);
    assertThat(response.getStatusCode()).as("dataset " + name).isEqualTo(201);
    return response.getData().getName() + "@" + response.getData().getVersion();
  }

  private void submit(String name, JobRequest spec) throws Exception {
    var response = new JobsApi(training()).submitJobWithHttpInfo(spec);
    assertThat(response.getStatusCode()).as("job " + name).isEqualTo(202);
    jobs.put(name, response.getData());
  }

  private Job awaitSucceeded(String id) {
    var jobsApi = new JobsApi(training());
    return await()
        .atMost(Duration.ofMinutes(4))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              Job job = jobsApi.getJob(UUID.fromString(id));
              if (List.of(JobState.FAILED, JobState.CANCELLED).contains(job.getState())) {
                throw new AssertionError("job " + id + " ended " + job.getState() + ": " + job);
              }
              return job;
            },
            job -> job.getState() == JobState.SUCCEEDED);
  }

  private int resultVersion(String name) {
    return jobs.get(name).getResult().getVersion();
  }

  // ---- the generated clients, the serving pool's admin view, the engine alone

  private ApiClient registry() {
    var client = new ApiClient();
    client.updateBaseUri(url);
    client.setRequestInterceptor(b -> b.header("Authorization", "Bearer " + ADMIN));
    return client;
  }

  private io.adapterplatform.api.training.invoker.ApiClient training() {
    var client = new io.adapterplatform.api.training.invoker.ApiClient();
    client.updateBaseUri(url);
    client.setRequestInterceptor(b -> b.header("Authorization", "Bearer " + ADMIN));
    return client;
  }

  private io.adapterplatform.api.serving.invoker.ApiClient serving() {
    var client = new io.adapterplatform.api.serving.invoker.ApiClient();
    client.updateBaseUri(url);
    client.setRequestInterceptor(b -> b.header("Authorization", "Bearer " + ADMIN));
    return client;
  }

  /** The version's two files in a directory of their own, as a reader downloads them. */
  private Path download(String adapter, String ref) throws Exception {
    Path dir = Files.createDirectories(work.resolve("download-" + adapter + "-" + ref));
    var versions = new VersionsApi(registry());
    for (String file : List.of("adapter_config.json", "adapter_model.safetensors")) {
      Path fetched = versions.downloadVersionFile(adapter, ref, file, null, null).toPath();
      Files.move(fetched, dir.resolve(file), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    return dir;
  }

  private static Map<String, float[]> tensors(Path adapterDir) throws Exception {
    Map<String, float[]> out = new LinkedHashMap<>();
    try (var file = SafetensorsFile.open(adapterDir.resolve("adapter_model.safetensors"))) {
      for (String name : file.header().names()) {
        out.put(name, file.readFloats(name));
      }
    }
    return out;
  }

  /**
   * {@code bin/platform engine generate --stop-at-eos} on the base model's files and, unless {@code
   * model} is the base model, the files the registry serves for {@code model} ({@code
   * adapter@ref}).
   */
  private List<Integer> engineAlone(String model, String prompt) throws Exception {
    var args = new ArrayList<>(List.of("generate", "--model", baseDir.toString()));
    if (!model.equals(BASE)) {
      String[] ref = model.split("@", 2);
      args.addAll(List.of("--adapter", download(ref[0], ref[1]).toString()));
    }
    args.addAll(
        List.of("--text", prompt, "--max-tokens", String.valueOf(MAX_TOKENS), "--stop-at-eos"));
    var out = new ByteArrayOutputStream();
    var err = new ByteArrayOutputStream();
    int status =
        EngineCli.run(
            args.toArray(String[]::new),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(status).as(err.toString(StandardCharsets.UTF_8)).isZero();
    return JSON.readTree(out.toString(StandardCharsets.UTF_8))
        .get("token_ids")
        .valueStream()
        .map(JsonNode::asInt)
        .toList();
  }

  private static CompletionCreateParams.Builder greedy(String model, String prompt) {
    return CompletionCreateParams.builder()
        .model(model)
        .prompt(prompt)
        .maxTokens(MAX_TOKENS)
        .temperature(0.0)
        .putAdditionalBodyProperty("return_token_ids", JsonValue.from(true));
  }

  private static List<Integer> tokenIds(Completion completion) {
    JsonValue ids = completion.choices().getFirst()._additionalProperties().get("token_ids");
    return ids == null ? List.of() : ids.convert(INTS);
  }

  private int inFlight(ServingEngine engine) {
    return engine.models().stream()
        .filter(m -> m.name().equals(BASE))
        .mapToInt(ResidentModel::inFlight)
        .sum();
  }

  private List<ServingAdapter> poolView() throws Exception {
    return new ServingAdminApi(serving()).listServingAdapters().getItems();
  }

  private int adapterLeases() throws Exception {
    return poolView().stream().mapToInt(ServingAdapter::getLeases).sum();
  }

  private boolean onDevice(String adapter, int version) throws Exception {
    return poolView().stream()
        .anyMatch(
            item ->
                item.getAdapter().equals(adapter)
                    && item.getVersion() == version
                    && item.getTiers().contains(ServingTier.DEVICE));
  }
}
