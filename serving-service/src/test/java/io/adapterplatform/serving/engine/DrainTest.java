package io.adapterplatform.serving.engine;

import static io.adapterplatform.serving.engine.EngineTestSupport.ADMIN;
import static io.adapterplatform.serving.engine.EngineTestSupport.JSON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.adapterplatform.embedded.BackendsInitializer;
import io.adapterplatform.registry.RegistryModule;
import io.adapterplatform.serving.ServingModule;
import io.adapterplatform.serving.batch.Finish;
import io.adapterplatform.serving.batch.FinishReason;
import io.adapterplatform.serving.batch.GenerationRequest;
import io.adapterplatform.serving.batch.GenerationSink;
import io.adapterplatform.serving.batch.TokenEvent;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.TypeExcludeFilter;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Import;
import org.springframework.core.type.classreading.MetadataReader;
import org.springframework.core.type.classreading.MetadataReaderFactory;
import tools.jackson.databind.JsonNode;

/**
 * Closing the context drains: a request in flight finishes, while it does new requests are answered
 * 503 with {@code Retry-After}, and only then does the shutdown go on. The test sees the drain wait
 * (its thread waiting on the engine) instead of guessing it from time passing, and a lifecycle bean
 * of a later shutdown phase says when the shutdown went on.
 */
// a context of its own, closed by the test (a cached test context cannot be)
class DrainTest {

  static final String BASE = "drain-base";
  static final int[] PROMPT = {5, 4, 3};
  static final int MAX = 6;

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import({RegistryModule.class, ServingModule.class})
  static class Launcher {}

  /** Leaves out the launchers of other test classes, which the serving module's scan finds. */
  static final class OtherLaunchers extends TypeExcludeFilter {
    @Override
    public boolean match(MetadataReader reader, MetadataReaderFactory factory) {
      return reader.getAnnotationMetadata().hasAnnotation(SpringBootConfiguration.class.getName())
          && !reader.getClassMetadata().getClassName().equals(Launcher.class.getName());
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof OtherLaunchers;
    }

    @Override
    public int hashCode() {
      return OtherLaunchers.class.hashCode();
    }
  }

  /** Stopped in a phase after the engine's drain and the web server's: the shutdown went on. */
  private static final class LaterPhase implements SmartLifecycle {
    private final List<String> events;
    private volatile boolean running;

    LaterPhase(List<String> events) {
      this.events = events;
    }

    @Override
    public void start() {
      running = true;
    }

    @Override
    public void stop() {
      events.add("shutdown went on");
      running = false;
    }

    @Override
    public boolean isRunning() {
      return running;
    }

    @Override
    public int getPhase() {
      return 0;
    }
  }

  private final List<String> events = new CopyOnWriteArrayList<>();

  private ConfigurableApplicationContext start() {
    return new SpringApplicationBuilder(Launcher.class)
        .initializers(
            new BackendsInitializer(),
            c -> {
              c.getBeanFactory()
                  .registerSingleton(OtherLaunchers.class.getName(), new OtherLaunchers());
              c.getBeanFactory()
                  .registerSingleton(LaterPhase.class.getName(), new LaterPhase(events));
            })
        .properties(
            "server.port=0",
            "spring.config.name=application,registry",
            "platform.auth.admin-token=" + ADMIN,
            "platform.registry.relay-interval=100ms",
            "platform.serving.pool.lora-places=1",
            "platform.serving.pool.mix-places=0",
            "platform.serving.pool.max-rank=8",
            "platform.serving.engine.max-rows=4",
            "platform.serving.engine.warm-up-rounds=0",
            "platform.serving.engine.retry-after=3s",
            "platform.serving.engine.drain-timeout=60s",
            "spring.lifecycle.timeout-per-shutdown-phase=60s",
            "server.shutdown=graceful")
        .run();
  }

  @Test
  void shutdownLetsTheRequestInFlightFinishAndAnswersNewOnes503WithRetryAfter() throws Exception {
    ConfigurableApplicationContext context = start();
    ServingEngine engine = context.getBean(ServingEngine.class);
    int port = ((WebServerApplicationContext) context).getWebServer().getPort();
    var support = new EngineTestSupport(port);
    support.publishBaseModel(BASE, 401).close();
    ModelLease inFlight = engine.use(BASE, ADMIN);
    var sink = new HeldSink(events);
    inFlight
        .model()
        .batcher()
        .submit(GenerationRequest.greedy(PROMPT, GenerationRequest.BASE_MODEL, MAX), sink);
    assertThat(sink.firstToken.await(60, TimeUnit.SECONDS)).isTrue();

    Thread closing = Thread.ofPlatform().start(context::close);
    await().atMost(Duration.ofSeconds(30)).until(engine::draining);

    HttpResponse<String> refused = support.complete(BASE, PROMPT, 2);
    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.headers().firstValue("Retry-After")).hasValue("3");
    assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    JsonNode problem = JSON.readTree(refused.body());
    assertThat(problem.at("/error/code").asString()).isEqualTo("shutting-down");
    // while the drain waits, the shutdown's thread waits for it: no later phase can have stopped
    await().atMost(Duration.ofSeconds(30)).until(ServingEngineDrain::waits);
    assertThat(events).isEmpty();

    sink.release.countDown();
    Finish finish = sink.finished.get(60, TimeUnit.SECONDS);
    inFlight.close();
    events.add("lease closed");
    closing.join(Duration.ofSeconds(60));

    assertThat(closing.isAlive()).isFalse();
    assertThat(events).containsExactly("request finished", "lease closed", "shutdown went on");
    assertThat(finish.reason()).isEqualTo(FinishReason.LENGTH);
    assertThat(finish.completionTokens()).isEqualTo(MAX);
    assertThat(sink.tokens.get()).isEqualTo(MAX);
  }

  /** The engine's drain as its thread shows it. */
  private static final class ServingEngineDrain {
    /**
     * Whether the drain's thread waits on the engine's monitor, as {@code ServingEngine.drain} does
     * while requests are in flight (taking the monitor would show as blocked, not waiting).
     */
    static boolean waits() {
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      return Thread.getAllStackTraces().keySet().stream()
          .filter(t -> t.getName().equals("serving-drain"))
          .map(t -> threads.getThreadInfo(t.threadId()))
          .anyMatch(
              info ->
                  info != null
                      && info.getThreadState() == Thread.State.TIMED_WAITING
                      && info.getLockName() != null
                      && info.getLockName().startsWith(ServingEngine.class.getName() + "@"));
    }
  }

  /**
   * Holds the step thread at the first token until released: a request that is surely in flight.
   */
  private static final class HeldSink implements GenerationSink {
    final CountDownLatch firstToken = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger tokens = new AtomicInteger();
    final CompletableFuture<Finish> finished = new CompletableFuture<>();
    private final List<String> events;

    HeldSink(List<String> events) {
      this.events = events;
    }

    @Override
    public void onToken(TokenEvent token) {
      if (tokens.incrementAndGet() == 1) {
        firstToken.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    @Override
    public void onFinish(Finish finish) {
      events.add("request finished");
      finished.complete(finish);
    }

    @Override
    public void onError(Throwable error) {
      finished.completeExceptionally(error);
    }
  }
}
