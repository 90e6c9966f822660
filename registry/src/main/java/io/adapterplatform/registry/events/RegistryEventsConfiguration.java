package io.adapterplatform.registry.events;

import io.adapterplatform.events.OutboxRelay;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * The registry's relay: its own bean name, table, advisory lock, thread ({@code
 * registry-outbox-relay}) and Kafka client id, so that it does not meet another service's relay in
 * the one-JVM launcher.
 */
@Configuration(proxyBeanMethods = false)
class RegistryEventsConfiguration {

  @Bean
  OutboxRelay registryOutboxRelay(
      JdbcClient jdbc,
      PlatformTransactionManager transactions,
      ProducerFactory<?, ?> producerFactory,
      @Value("${platform.registry.relay-interval:250ms}") Duration interval) {
    return new OutboxRelay("registry", Outbox.TABLE, jdbc, transactions, producerFactory, interval);
  }
}
