package io.adapterplatform.serving;

import io.adapterplatform.api.registry.client.AdaptersApi;
import io.adapterplatform.api.registry.client.BaseModelsApi;
import io.adapterplatform.api.registry.client.TokensApi;
import io.adapterplatform.api.registry.client.VersionsApi;
import io.adapterplatform.api.registry.invoker.ApiClient;
import io.adapterplatform.api.registry.invoker.ApiException;
import io.adapterplatform.api.registry.model.AdapterVersion;
import io.adapterplatform.api.registry.model.CreateAdapterRequest;
import io.adapterplatform.api.registry.model.CreateTokenRequest;
import io.adapterplatform.api.registry.model.Role;
import io.adapterplatform.embedded.PlatformBackends;
import io.adapterplatform.engine.TestDevice;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.format.DType;
import io.adapterplatform.engine.fused.AdapterPool;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.testing.TinyModels;
import io.adapterplatform.registry.RegistryModule;
import io.adapterplatform.serving.pool.PoolWriter;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * The serving module beside the real registry in one context (as the one-JVM launcher composes
 * them) on the JVM's shared embedded PostgreSQL, S3 and Kafka; adapters are the engine's random
 * tiny ones, published through the registry's API. The device pool is a real reserved {@link
 * AdapterPool} over the same tiny base model, written synchronously (the scheduler's place).
 */
@SpringBootTest(
    classes = ServingTestBase.Launcher.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.config.name=application,registry",
      "platform.auth.admin-token=" + ServingTestBase.ADMIN,
      "platform.registry.relay-interval=100ms",
      "platform.serving.engine.enabled=false",
      "platform.serving.pool.lora-places=2",
      "platform.serving.pool.mix-places=1",
      "platform.serving.pool.max-rank=8",
      "platform.serving.pool.max-experts=4",
      "platform.serving.pool.max-top-k=2"
    })
@PlatformBackends
public abstract class ServingTestBase {

  protected static final String ADMIN = "test-admin-token-0123456789abcdef";
  protected static final String BASE = "tiny-serving";
  protected static final ModelDims DIMS = TinyModels.smallDims();
  protected static final long BASE_SEED = 17;
  private static final AtomicInteger COUNTER = new AtomicInteger();

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import({RegistryModule.class, ServingModule.class})
  public static class Launcher {

    // only where the engine is off: this class is also scanned into contexts that run the real one
    @ConditionalOnBooleanProperty(name = "platform.serving.engine.enabled", havingValue = false)
    @Bean(destroyMethod = "close")
    AdapterPool testDevicePool() {
      Map<String, float[]> weights = TinyModels.randomWeights(DIMS, BASE_SEED);
      BaseModel model = BaseModel.fromWeights(DIMS, (n, s) -> weights.get(n), TestDevice.device());
      return AdapterPool.reserve(model, 2, 8, 1, 4, 2);
    }

    /** Runs each mutation at once, in submission order: the scheduler's contract, without steps. */
    @ConditionalOnBooleanProperty(name = "platform.serving.engine.enabled", havingValue = false)
    @Bean
    PoolWriter testPoolWriter(AdapterPool testDevicePool) {
      return mutation -> {
        synchronized (testDevicePool) {
          mutation.accept(testDevicePool);
        }
        return CompletableFuture.completedFuture(null);
      };
    }
  }

  @LocalServerPort protected int port;

  @Autowired protected AdapterPool devicePool;

  protected ApiClient client(String token) {
    var c = new ApiClient();
    c.updateBaseUri("http://localhost:" + port);
    c.setRequestInterceptor(b -> b.header("Authorization", "Bearer " + token));
    return c;
  }

  protected String tokenWith(List<String> scopes, Role... roles) throws Exception {
    return new TokensApi(client(ADMIN))
        .createToken(
            new CreateTokenRequest().name("t-" + unique()).roles(List.of(roles)).scopes(scopes))
        .getToken();
  }

  protected static String unique() {
    return COUNTER.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  protected static Path dir() {
    try {
      return Files.createTempDirectory("serving-test-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The tiny base model, uploaded once per JVM. */
  protected synchronized void ensureBaseModel() throws Exception {
    var api = new BaseModelsApi(client(ADMIN));
    try {
      api.getBaseModel(BASE);
    } catch (ApiException e) {
      Path d = dir();
      TinyModels.writeModel(d, DIMS, BASE_SEED, DType.F32, 1);
      api.uploadBaseModel(
          BASE,
          List.of(d.resolve("config.json").toFile(), d.resolve("model.safetensors").toFile()));
    }
  }

  /** A new adapter over the tiny base model, named with {@code prefix}. */
  protected String newAdapter(String prefix) throws Exception {
    ensureBaseModel();
    String name = prefix + unique();
    new AdaptersApi(client(ADMIN))
        .createAdapter(new CreateAdapterRequest().name(name).baseModel(BASE));
    return name;
  }

  /** A published version holding {@code weights}; returns it with the weights a reader sees. */
  protected Published publish(String adapter, AdapterWeights weights) throws Exception {
    Path d = dir();
    AdapterWeights stored = TinyModels.writeAdapter(d, weights, 8.0, false, DType.F32);
    List<File> files =
        List.of(
            d.resolve("adapter_config.json").toFile(),
            d.resolve("adapter_model.safetensors").toFile());
    AdapterVersion v = new VersionsApi(client(ADMIN)).publishVersion(adapter, files, null);
    return new Published(v, stored);
  }

  protected record Published(AdapterVersion version, AdapterWeights weights) {}
}
