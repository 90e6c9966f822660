package io.adapterplatform.local.standalone;

import static io.adapterplatform.local.standalone.Standalone.ADMIN;
import static io.adapterplatform.local.standalone.Standalone.get;
import static io.adapterplatform.local.standalone.Standalone.tokenWith;
import static io.adapterplatform.local.standalone.Standalone.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.adapterplatform.api.registry.model.Role;
import io.adapterplatform.embedded.TestBackends;
import io.adapterplatform.serving.ServingApplication;
import io.adapterplatform.web.auth.RemoteTokenVerifier;
import io.adapterplatform.web.auth.TokenVerifier;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.StreamSupport;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A serving Deployment as the chart makes it: ServingApplication alone in its context (no registry
 * module, no database), set up only by the chart's environment variables, beside a registry that
 * runs as its own application on its own port and verifies the service's tokens.
 */
class ServingApplicationTest {

  private static ConfigurableApplicationContext registry;
  private static ConfigurableApplicationContext serving;
  private static String registryUrl;
  private static String servingUrl;

  @BeforeAll
  static void start() {
    var backends = TestBackends.shared();
    registry = Standalone.registry(backends);
    registryUrl = Standalone.url(registry);
    var env = new HashMap<>(ChartEnvironment.beside(registryUrl, backends, ADMIN));
    assertThat(ChartEnvironment.namesTheChartSets()).containsAll(env.keySet());
    serving = ChartEnvironment.run(ServingApplication.application(), env);
    servingUrl = Standalone.url(serving);
  }

  @AfterAll
  static void stop() {
    if (serving != null) {
      serving.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void runsWithoutTheRegistryModuleOrADatabase() {
    assertThat(Standalone.registryBeans(serving)).isEmpty();
    assertThat(serving.getBeanNamesForType(DataSource.class)).isEmpty();
    assertThat(serving.getBean(TokenVerifier.class)).isInstanceOf(RemoteTokenVerifier.class);
    assertThat(serving.getEnvironment().getProperty("platform.serving.registry-url"))
        .isEqualTo(registryUrl);
  }

  @Test
  void listsTheRegistrysModelsForATokenTheRegistryIssued() throws Exception {
    String base = "standalone-serve-" + unique();
    Standalone.uploadBaseModel(registryUrl, base);
    String reader = tokenWith(registryUrl, Role.READER);

    var models = get(servingUrl + "/v1/models", reader);

    assertThat(models.status()).as(models.body()).isEqualTo(200);
    assertThat(models.json().get("object").asString()).isEqualTo("list");
    assertThat(
            StreamSupport.stream(models.json().get("data").spliterator(), false)
                .map(m -> m.get("id").asString()))
        .contains(base);
  }

  @Test
  void refusesATokenTheRegistryDoesNotKnow() throws Exception {
    var models = get(servingUrl + "/v1/models", "not-a-token-the-registry-issued-0123");
    var admin = get(servingUrl + "/api/v1/serving/adapters", "not-a-token-the-registry-issued-0");

    assertThat(models.status()).isEqualTo(401);
    assertThat(admin.status()).isEqualTo(401);
  }

  @Test
  void refusesToStartWithoutTheRegistrysAddress() {
    assertThatThrownBy(
            () ->
                ChartEnvironment.run(
                    ServingApplication.application(), Map.of("PLATFORM_PORT", "0")))
        .hasStackTraceContaining("PLATFORM_AUTH_REGISTRY_URL");
  }

  @Test
  void answersTheChartsProbesWithoutAToken() throws Exception {
    assertThat(get(servingUrl + "/actuator/health/liveness", null).status()).isEqualTo(200);
    assertThat(get(servingUrl + "/actuator/health/readiness", null).status()).isEqualTo(200);
  }
}
