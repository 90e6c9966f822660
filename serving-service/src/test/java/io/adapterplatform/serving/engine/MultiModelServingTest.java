package io.adapterplatform.serving.engine;

import static io.adapterplatform.serving.engine.EngineTestSupport.ADMIN;
import static io.adapterplatform.serving.engine.EngineTestSupport.alone;
import static io.adapterplatform.serving.engine.EngineTestSupport.tokenIds;
import static io.adapterplatform.serving.engine.EngineTestSupport.tokenLogprobs;
import static io.adapterplatform.serving.engine.EngineTestSupport.withoutEos;
import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.embedded.PlatformBackends;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.registry.RegistryModule;
import io.adapterplatform.serving.ServingModule;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Several base models in one JVM, loaded on first use with at most two resident, each behind its
 * own batcher and pool: against the real registry on the embedded backends, outputs compared with
 * the engine alone.
 */
@SpringBootTest(
    classes = MultiModelServingTest.Launcher.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.config.name=application,registry",
      "platform.auth.admin-token=" + ADMIN,
      "platform.registry.relay-interval=100ms",
      "platform.serving.pool.lora-places=2",
      "platform.serving.pool.mix-places=0",
      "platform.serving.pool.max-rank=8",
      "platform.serving.engine.max-rows=8",
      "platform.serving.engine.warm-up-rounds=0",
      "platform.serving.engine.max-resident-models=2"
    })
@PlatformBackends
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MultiModelServingTest {

  static final String A = "multi-a";
  static final String B = "multi-b";
  static final String C = "multi-c";
  static final String D = "multi-d";
  static final String E = "multi-e";
  static final int[] PROMPT = {3, 14, 15, 9, 26};
  static final int MAX = 8;

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import({RegistryModule.class, ServingModule.class})
  static class Launcher {
    @Bean
    DownloadGate downloadGate() {
      return new DownloadGate();
    }
  }

  /**
   * Holds the registry's answer to one download of a base model's weights while armed: the serving
   * engine's load of that model then stands still in the middle, for as long as a test wants.
   */
  static final class DownloadGate extends OncePerRequestFilter {

    record Hold(String baseModel, CountDownLatch entered, CountDownLatch released) {
      void release() {
        released.countDown();
      }
    }

    private volatile Hold hold;

    Hold arm(String baseModel) {
      var armed = new Hold(baseModel, new CountDownLatch(1), new CountDownLatch(1));
      hold = armed;
      return armed;
    }

    @Override
    protected void doFilterInternal(
        HttpServletRequest request, HttpServletResponse response, FilterChain chain)
        throws ServletException, IOException {
      var armed = hold;
      if (armed != null
          && request
              .getRequestURI()
              .equals("/api/v1/base-models/" + armed.baseModel() + "/files/model.safetensors")) {
        hold = null;
        armed.entered().countDown();
        try {
          // bounded, so that a failed test never leaves a request thread behind for good
          armed.released().await(2, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      chain.doFilter(request, response);
    }
  }

  @LocalServerPort int port;
  @Autowired ServingEngine engine;
  @Autowired DownloadGate downloadGate;

  // one thread per client: the common pool may have a single thread on a small machine
  private final ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
  private EngineTestSupport support;
  private final List<BaseModel> references = new ArrayList<>();
  private BaseModel a;
  private BaseModel b;
  private BaseModel c;
  private BaseModel d;
  private BaseModel e;
  private AdapterWeights loraA;
  private AdapterWeights loraB;

  @BeforeAll
  void publish() throws Exception {
    support = new EngineTestSupport(port);
    a = support.publishBaseModel(A, 101);
    b = support.publishBaseModel(B, 102);
    c = support.publishBaseModel(C, 103);
    d = support.publishBaseModel(D, 104);
    e = support.publishBaseModel(E, 105);
    references.addAll(List.of(a, b, c, d, e));
    loraA = support.publishLora("multi-lora-a", A, 201);
    loraB = support.publishLora("multi-lora-b", B, 202);
  }

  @AfterAll
  void close() {
    clients.shutdownNow();
    references.forEach(BaseModel::close);
  }

  @Test
  void twoBaseModelsServedFromOneJvmEachAnswerForTheirOwnAdaptersAsTheEngineAlone()
      throws Exception {
    // both at once: each base model's rows go to its own batcher
    var onA = CompletableFuture.supplyAsync(() -> complete("multi-lora-a@1"), clients);
    var onB = CompletableFuture.supplyAsync(() -> complete("multi-lora-b@1"), clients);
    var bareA = CompletableFuture.supplyAsync(() -> complete(A), clients);
    var bareB = CompletableFuture.supplyAsync(() -> complete(B), clients);

    assertThat(withoutEos(tokenIds(onA.join()))).isEqualTo(alone(a, loraA, PROMPT, MAX));
    assertThat(withoutEos(tokenIds(onB.join()))).isEqualTo(alone(b, loraB, PROMPT, MAX));
    assertThat(withoutEos(tokenIds(bareA.join()))).isEqualTo(alone(a, null, PROMPT, MAX));
    assertThat(withoutEos(tokenIds(bareB.join()))).isEqualTo(alone(b, null, PROMPT, MAX));
    assertThat(alone(a, null, PROMPT, MAX))
        .as("the two base models differ, so a mix-up would show")
        .isNotEqualTo(alone(b, null, PROMPT, MAX));
    assertThat(tokenLogprobs(onA.join()))
        .as("the adapter's rows were decoded with the adapter, not the bare model")
        .isNotEqualTo(tokenLogprobs(bareA.join()));
    assertThat(names(ResidentModel.State.SERVING)).contains(A, B);
    assertThat(engine.resident()).hasSizeLessThanOrEqualTo(2);
  }

  @Test
  void theResidentBoundUnloadsTheLeastRecentlyUsedIdleModelAndReloadsItOnUse() throws Exception {
    tokenIds(complete("multi-lora-a@1"));
    tokenIds(complete(B));
    long loadsOfA = loads(A);

    tokenIds(complete(C));

    assertThat(names(ResidentModel.State.SERVING)).containsExactly(B, C);
    assertThat(withoutEos(tokenIds(complete("multi-lora-a@1"))))
        .as("after a reload the adapter is written into the new model's pool again")
        .isEqualTo(alone(a, loraA, PROMPT, MAX));
    assertThat(loads(A)).isEqualTo(loadsOfA + 1);
    assertThat(names(ResidentModel.State.SERVING)).containsExactly(A, C);
  }

  @Test
  void aBaseModelWithARequestInFlightIsNeverUnloaded() throws Exception {
    try (ModelLease inFlight = engine.use(A, ADMIN)) {
      tokenIds(complete(B));

      tokenIds(complete(C));

      assertThat(names(ResidentModel.State.SERVING)).containsExactly(A, C);
      assertThat(inFlight.model().name()).isEqualTo(A);
    }
  }

  @Test
  void concurrentFirstRequestsForABaseModelLoadItOnce() throws Exception {
    assertThat(loads(D)).isZero();
    CountDownLatch start = new CountDownLatch(1);
    List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      requests.add(
          CompletableFuture.supplyAsync(
              () -> {
                await(start);
                return complete(D);
              },
              clients));
    }

    start.countDown();

    List<Integer> expected = alone(d, null, PROMPT, MAX);
    for (var request : requests) {
      assertThat(withoutEos(tokenIds(request.join()))).isEqualTo(expected);
    }
    assertThat(loads(D)).isEqualTo(1);
  }

  @Test
  void loadingOneBaseModelNeverHoldsUpTheDecodingOfAnother() throws Exception {
    tokenIds(complete(A));
    var batcherOfA =
        engine.resident().stream()
            .filter(m -> m.name().equals(A))
            .findFirst()
            .orElseThrow()
            .batcher();
    var held = downloadGate.arm(E);
    CompletableFuture<HttpResponse<String>> onE;
    try {
      onE = CompletableFuture.supplyAsync(() -> complete(E), clients);
      assertThat(held.entered().await(2, TimeUnit.MINUTES))
          .as("the load of %s reached the download of its weights", E)
          .isTrue();
      var stepsOfA = new AtomicInteger();
      batcherOfA.onStep((rows, adapters, forwardNanos) -> stepsOfA.incrementAndGet());

      // bounded: a load that blocked other models would hang this request, not the test run
      var onA = CompletableFuture.supplyAsync(() -> complete(A), clients).get(2, TimeUnit.MINUTES);

      var tokensOfA = tokenIds(onA);
      assertThat(withoutEos(tokensOfA)).isEqualTo(alone(a, null, PROMPT, MAX));
      assertThat(stepsOfA.get())
          .as("a step per token of %s (prefill included) while %s stood mid-load", A, E)
          .isGreaterThanOrEqualTo(tokensOfA.size());
      assertThat(onE).as("%s is still loading", E).isNotDone();
      assertThat(engine.models())
          .anySatisfy(
              m -> {
                assertThat(m.name()).isEqualTo(E);
                assertThat(m.state()).isEqualTo(ResidentModel.State.LOADING);
              });
    } finally {
      held.release();
    }
    assertThat(withoutEos(tokenIds(onE.get(2, TimeUnit.MINUTES))))
        .isEqualTo(alone(e, null, PROMPT, MAX));
  }

  private HttpResponse<String> complete(String model) {
    try {
      return support.complete(model, PROMPT, MAX);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private long loads(String name) {
    return engine.loads(name);
  }

  private List<String> names(ResidentModel.State state) {
    return engine.models().stream()
        .filter(m -> m.state() == state)
        .map(ResidentModel::name)
        .toList();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
