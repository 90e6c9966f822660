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
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
  static final int[] PROMPT = {3, 14, 15, 9, 26};
  static final int MAX = 8;

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import({RegistryModule.class, ServingModule.class})
  static class Launcher {}

  @LocalServerPort int port;
  @Autowired ServingEngine engine;

  // one thread per client: the common pool may have a single thread on a small machine
  private final ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
  private EngineTestSupport support;
  private final List<BaseModel> references = new ArrayList<>();
  private BaseModel a;
  private BaseModel b;
  private BaseModel c;
  private BaseModel d;
  private AdapterWeights loraA;
  private AdapterWeights loraB;

  @BeforeAll
  void publish() throws Exception {
    support = new EngineTestSupport(port);
    a = support.publishBaseModel(A, 101);
    b = support.publishBaseModel(B, 102);
    c = support.publishBaseModel(C, 103);
    d = support.publishBaseModel(D, 104);
    references.addAll(List.of(a, b, c, d));
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
