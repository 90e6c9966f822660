package io.adapterplatform.serving.engine;

import static io.adapterplatform.serving.engine.EngineTestSupport.ADMIN;
import static io.adapterplatform.serving.engine.EngineTestSupport.JSON;
import static io.adapterplatform.serving.engine.EngineTestSupport.alone;
import static io.adapterplatform.serving.engine.EngineTestSupport.tokenIds;
import static io.adapterplatform.serving.engine.EngineTestSupport.withoutEos;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.adapterplatform.embedded.PlatformBackends;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.registry.RegistryModule;
import io.adapterplatform.serving.ServingModule;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import tools.jackson.databind.JsonNode;

/**
 * A server pinned to one base model, as a Kubernetes serving Deployment runs (the chart's {@code
 * PLATFORM_SERVING_BASE_MODELS}): it loads and warms that model at start-up, is ready only then,
 * and refuses every other base model with 404.
 */
@SpringBootTest(
    classes = PinnedServingTest.Launcher.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.config.name=application,registry",
      "platform.auth.admin-token=" + ADMIN,
      "platform.registry.relay-interval=100ms",
      "platform.serving.pool.lora-places=2",
      "platform.serving.pool.mix-places=0",
      "platform.serving.pool.max-rank=8",
      "platform.serving.engine.max-rows=4",
      "platform.serving.engine.warm-up-rounds=1",
      "platform.serving.engine.load-retry=200ms",
      "platform.serving.base-models=" + PinnedServingTest.PINNED,
      "management.endpoint.health.probes.enabled=true",
      "management.endpoint.health.show-details=always"
    })
@PlatformBackends
class PinnedServingTest {

  static final String PINNED = "pinned-base";
  static final String OTHER = "pinned-other";
  static final int[] PROMPT = {7, 1, 8, 2};

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import({RegistryModule.class, ServingModule.class})
  static class Launcher {}

  @LocalServerPort int port;
  @Autowired ServingEngine engine;

  @Test
  void isReadyOnlyOnceItsBaseModelIsLoadedAndWarmedAndRefusesAnyOtherWith404() throws Exception {
    var support = new EngineTestSupport(port);
    // the registry (this very server) does not hold the pinned model yet: the load keeps failing
    HttpResponse<String> before = support.get("/actuator/health/readiness");
    assertThat(before.statusCode()).isEqualTo(503);
    assertThat(JSON.readTree(before.body()).get("status").asString()).isEqualTo("OUT_OF_SERVICE");
    assertThat(support.get("/actuator/health/liveness").statusCode()).isEqualTo(200);

    try (BaseModel reference = support.publishBaseModel(PINNED, 301);
        BaseModel other = support.publishBaseModel(OTHER, 302)) {

      await()
          .atMost(Duration.ofSeconds(90))
          .until(() -> support.get("/actuator/health/readiness").statusCode() == 200);

      ServedModel served = engine.resident().getFirst();
      assertThat(served.name()).isEqualTo(PINNED);
      assertThat(served.batcher().ready())
          .as("ready means warmed up at the served batch sizes")
          .isCompleted();
      JsonNode readiness = JSON.readTree(support.get("/actuator/health/readiness").body());
      assertThat(readiness.at("/components/servingEngine/status").asString()).isEqualTo("UP");
      assertThat(readiness.at("/components/servingEngine/details/models/" + PINNED).asString())
          .isEqualTo("serving");
      assertThat(withoutEos(tokenIds(support.complete(PINNED, PROMPT, 6))))
          .isEqualTo(alone(reference, null, PROMPT, 6));

      HttpResponse<String> refused = support.complete(OTHER, PROMPT, 2);

      assertThat(refused.statusCode()).isEqualTo(404);
      assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
      JsonNode problem = JSON.readTree(refused.body());
      assertThat(problem.at("/error/message").asString()).contains(OTHER).contains(PINNED);
      assertThat(problem.at("/error/code").asString()).isEqualTo("not-found");
      JsonNode models = JSON.readTree(support.getAsAdmin("/v1/models").body());
      assertThat(models.findValuesAsString("id"))
          .as("a pinned server lists only its base models")
          .contains(PINNED)
          .doesNotContain(OTHER);
      assertThat(engine.loads(OTHER)).isZero();
      assertThat(engine.loads(PINNED)).isEqualTo(1);
    }
  }
}
