package io.adapterplatform.serving.engine;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.adapterplatform.engine.fused.AdapterPool;
import io.adapterplatform.engine.fused.PoolStorage;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.Devices;
import io.adapterplatform.engine.model.ModelDirectory;
import io.adapterplatform.serving.batch.BatcherSettings;
import io.adapterplatform.serving.batch.ContinuousBatcher;
import io.adapterplatform.serving.batch.PoolLayout;
import io.adapterplatform.serving.models.RegistryAccess;
import io.adapterplatform.serving.pool.PoolProperties;
import io.adapterplatform.serving.pool.PoolWriter;
import io.adapterplatform.web.problem.ApiException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;

/**
 * The served base model, started on first use: its files fetched from the registry (sha256
 * verified), the model loaded onto the engine's device, and a {@link ContinuousBatcher} over an
 * adapter pool reserved with {@code platform.serving.pool.*}. It is the adapter pool's {@link
 * PoolWriter}: the pool's device writes run between the batcher's steps.
 *
 * <p>One base model per server (the pool's places belong to one model): the first one asked for is
 * served until shutdown, and a request for another is refused with 404 naming the one served.
 */
public final class ServingEngine implements PoolWriter, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ServingEngine.class);

  private final BaseModelFiles files;
  private final PoolProperties pool;
  private final EngineProperties properties;
  private final Path root;
  private ServedModel served;
  private boolean closed;

  ServingEngine(RegistryAccess registry, PoolProperties pool, EngineProperties properties) {
    this.files = new BaseModelFiles(registry);
    this.pool = pool;
    this.properties = properties;
    try {
      this.root = Files.createTempDirectory("serving-base-models-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the base models' directory", e);
    }
  }

  /**
   * The served model {@code baseModel}, fetched and started first when nothing is served yet (the
   * calling request waits, later ones too).
   *
   * @param token the caller's token: the registry applies its roles to the download
   * @throws ApiException 404 when another base model is served here
   */
  public synchronized ServedModel serve(String baseModel, String token) {
    if (closed) {
      throw unavailable("the server is shutting down");
    }
    if (served != null) {
      if (!served.name().equals(baseModel)) {
        throw ApiException.notFound(
            "base model '"
                + baseModel
                + "' on this server (it serves '"
                + served.name()
                + "' and its adapters)");
      }
      return served;
    }
    served = start(baseModel, token);
    return served;
  }

  /** The model served now, if one was started. */
  public synchronized Optional<ServedModel> current() {
    return Optional.ofNullable(served);
  }

  private ServedModel start(String name, String token) {
    long started = System.nanoTime();
    Path dir = files.fetch(name, token, root.resolve(name));
    BaseModel model = ModelDirectory.load(dir, Devices.fromSystemProperty());
    ContinuousBatcher batcher = null;
    HuggingFaceTokenizer tokenizer = null;
    try {
      tokenizer = tokenizer(dir);
      OptionalInt eos = eosId(dir);
      PoolLayout layout =
          new PoolLayout(
              pool.loraPlaces(),
              pool.maxRank(),
              pool.mixPlaces(),
              pool.maxExperts(),
              pool.maxTopK(),
              PoolStorage.FP32);
      BatcherSettings settings =
          BatcherSettings.defaults()
              .withMaxRows(properties.maxRows())
              .withQueueCapacity(properties.queueCapacity())
              .withWarmUpRounds(properties.warmUpRounds())
              .withDefaultTimeout(properties.timeout());
      batcher = ContinuousBatcher.start(model, layout, settings);
      batcher.ready().join();
      log.info(
          "base model served: name={} vocab={} tokenizer={} ms={}",
          name,
          model.dims().vocabSize(),
          tokenizer != null,
          (System.nanoTime() - started) / 1_000_000);
      return new ServedModel(name, model, batcher, Optional.ofNullable(tokenizer), eos);
    } catch (RuntimeException e) {
      if (batcher != null) {
        batcher.close();
      }
      if (tokenizer != null) {
        tokenizer.close();
      }
      model.close();
      throw e;
    }
  }

  private static HuggingFaceTokenizer tokenizer(Path dir) {
    Path file = dir.resolve("tokenizer.json");
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      // as engine-tools reads a prompt: the text's own tokens, no special tokens added
      return HuggingFaceTokenizer.builder()
          .optTokenizerPath(file)
          .optAddSpecialTokens(false)
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  // config.json's eos_token_id: a number or a list of numbers (the first)
  private static OptionalInt eosId(Path dir) {
    try {
      JsonObject o =
          JsonParser.parseString(
                  Files.readString(dir.resolve(ModelDirectory.CONFIG_FILE), StandardCharsets.UTF_8))
              .getAsJsonObject();
      JsonElement e = o.get("eos_token_id");
      if (e != null && e.isJsonArray() && !e.getAsJsonArray().isEmpty()) {
        e = e.getAsJsonArray().get(0);
      }
      if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
        return OptionalInt.empty();
      }
      return OptionalInt.of(e.getAsInt());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the config of " + dir, e);
    }
  }

  @Override
  public CompletableFuture<Void> betweenSteps(Consumer<AdapterPool> mutation) {
    ServedModel now = current().orElse(null);
    if (now == null) {
      return CompletableFuture.failedFuture(
          unavailable("no base model is served yet: adapters load with the first request"));
    }
    return now.batcher().betweenSteps(mutation);
  }

  private static ApiException unavailable(String detail) {
    return new ApiException(
        HttpStatus.SERVICE_UNAVAILABLE, "no-device-pool", "Service unavailable", detail, List.of());
  }

  /** Lets every accepted request finish, then frees the model. */
  @Override
  public void close() {
    ServedModel toClose;
    synchronized (this) {
      closed = true;
      toClose = served;
      served = null;
    }
    if (toClose != null) {
      toClose.close();
    }
    try (var walk = Files.walk(root)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // a leftover temporary directory costs disk only
    }
  }
}
