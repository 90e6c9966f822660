package io.adapterplatform.serving.engine;

import io.adapterplatform.serving.models.RegistryAccess;
import io.adapterplatform.serving.pool.PoolProperties;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The engine as a bean, and so the adapter pool's {@code PoolWriter}. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty(name = "platform.serving.engine.enabled", matchIfMissing = true)
@EnableConfigurationProperties(EngineProperties.class)
class EngineConfiguration {

  @Bean(destroyMethod = "close")
  ServingEngine servingEngine(
      RegistryAccess registry, PoolProperties pool, EngineProperties properties) {
    return new ServingEngine(registry, pool, properties);
  }
}
