package io.adapterplatform.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.web.auth.AuthFilter;
import io.adapterplatform.web.auth.RemoteTokenVerifier;
import io.adapterplatform.web.auth.TokenVerifier;
import io.adapterplatform.web.openapi.ApiDocs;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/** Which beans the shared web layer adds to a context, and where its token verifier comes from. */
class WebAutoConfigurationTest {

  private final WebApplicationContextRunner runner =
      new WebApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(WebAutoConfiguration.class));

  @Configuration(proxyBeanMethods = false)
  static class LocalTokens {
    @Bean
    TokenVerifier localTokens() {
      return secret -> Optional.empty();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class AnotherModule {
    @Bean
    String anotherModulesBean() {
      return "x";
    }
  }

  @Test
  void aContextWithTheRegistrysVerifierGetsOneFilterAndNoRemoteVerifier() {
    runner
        .withUserConfiguration(LocalTokens.class, AnotherModule.class)
        .withPropertyValues("platform.auth.registry-url=http://registry:8080")
        .run(
            context -> {
              assertThat(context)
                  .hasSingleBean(AuthFilter.class)
                  .hasSingleBean(TokenVerifier.class)
                  .hasSingleBean(ApiDocs.class)
                  .hasSingleBean(ErrorController.class)
                  .doesNotHaveBean(RemoteTokenVerifier.class);
            });
  }

  @Test
  void aServiceDeployedAloneVerifiesTokensThroughTheRegistryItNames() {
    runner
        .withPropertyValues(
            "platform.auth.registry-url=http://registry:8080", "platform.auth.cache-ttl=5s")
        .run(
            context ->
                assertThat(context)
                    .hasSingleBean(RemoteTokenVerifier.class)
                    .hasSingleBean(AuthFilter.class));
  }

  @Test
  void withoutAnyVerifierTheContextRefusesToStart() {
    runner.run(context -> assertThat(context).hasFailed());
  }

  @Test
  void importingTheAutoConfigurationTwiceStillGivesOneSet() {
    runner
        .withUserConfiguration(LocalTokens.class, Twice.class)
        .run(
            context ->
                assertThat(context).hasSingleBean(AuthFilter.class).hasSingleBean(ApiDocs.class));
  }

  @Configuration(proxyBeanMethods = false)
  @Import(WebAutoConfiguration.class)
  static class Twice {}
}
