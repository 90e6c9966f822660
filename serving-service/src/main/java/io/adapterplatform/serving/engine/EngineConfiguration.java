package io.adapterplatform.serving.engine;

import io.adapterplatform.serving.ServingProperties;
import io.adapterplatform.serving.models.RegistryAccess;
import io.adapterplatform.serving.pool.PoolProperties;
import io.adapterplatform.serving.pool.ServingPool;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroupsPostProcessor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The engine as a bean (and so the adapter pool's {@code PoolWriter}), the start-up load of the
 * pinned base models, and its health: the {@code servingEngine} contributor, made part of the
 * {@code readiness} group.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty(name = "platform.serving.engine.enabled", matchIfMissing = true)
@EnableConfigurationProperties(EngineProperties.class)
class EngineConfiguration {

  @Bean(destroyMethod = "close")
  ServingEngine servingEngine(
      RegistryAccess registry,
      PoolProperties pool,
      EngineProperties properties,
      ServingProperties serving,
      ObjectProvider<ServingPool> adapters) {
    return new ServingEngine(
        registry,
        pool,
        properties,
        serving.baseModels(),
        baseModel -> adapters.ifAvailable(p -> p.forgetDevice(baseModel)));
  }

  // once the server answers: in one JVM the registry that holds the files is this server
  @Bean
  ApplicationListener<ApplicationReadyEvent> servingEnginePinnedLoad(
      ServingEngine engine, RegistryAccess registry) {
    return event -> engine.loadPinned(registry::serviceToken);
  }

  // the bean name minus "HealthIndicator" is the contributor's name: servingEngine
  @Bean
  HealthIndicator servingEngineHealthIndicator(ServingEngine engine) {
    return new EngineHealth(engine);
  }

  @Bean
  static HealthEndpointGroupsPostProcessor servingEngineReadiness() {
    return new ReadinessGroup(EngineHealth.NAME);
  }
}
