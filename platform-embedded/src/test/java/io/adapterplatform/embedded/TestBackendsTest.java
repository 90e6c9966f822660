package io.adapterplatform.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.context.support.GenericApplicationContext;

@ExtendWith(BackendsExtension.class)
class TestBackendsTest {

  @Test
  void theExtensionHandsEveryTestTheSameRunningBackends(BackendEndpoints endpoints) throws Exception {
    assertThat(endpoints).isSameAs(TestBackends.shared());
    assertThat(BackendProbes.queryStrings(endpoints, "select 'answered'")).containsExactly("answered");
    BackendProbes.put(endpoints, "shared", "probe", new byte[] {1, 2, 3});
    assertThat(BackendProbes.get(endpoints, "shared", "probe")).containsExactly(1, 2, 3);
  }

  @Test
  void theInitializerPutsTheEndpointsAheadOfTheApplicationsOwnProperties(BackendEndpoints endpoints) {
    try (var context = new GenericApplicationContext()) {
      context.getEnvironment().getPropertySources().addFirst(new org.springframework.core.env.MapPropertySource(
          "application", java.util.Map.of("spring.datasource.url", "jdbc:postgresql://elsewhere/db")));

      new BackendsInitializer().initialize(context);

      assertThat(context.getEnvironment().getProperty("spring.datasource.url")).isEqualTo(endpoints.jdbcUrl());
      assertThat(context.getEnvironment().getProperty("spring.kafka.bootstrap-servers")).isEqualTo(endpoints.kafkaBootstrapServers());
      assertThat(List.of(context.getEnvironment().getProperty("platform.s3.endpoint"))).containsExactly(endpoints.s3Endpoint());
    }
  }
}
