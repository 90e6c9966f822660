package io.adapterplatform.training.events;

import io.adapterplatform.events.OutboxRelay;
import io.adapterplatform.training.TrainingProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * The training relay: its own bean name, table, advisory lock, thread ({@code
 * training-outbox-relay}) and Kafka client id, beside the registry's in the one-JVM launcher.
 */
@Configuration(proxyBeanMethods = false)
class TrainingEventsConfiguration {

  @Bean
  OutboxRelay trainingOutboxRelay(
      JdbcClient jdbc,
      PlatformTransactionManager transactions,
      ProducerFactory<?, ?> producerFactory,
      TrainingProperties properties) {
    return new OutboxRelay(
        TrainingOutbox.RELAY,
        TrainingOutbox.TABLE,
        jdbc,
        transactions,
        producerFactory,
        properties.relayInterval());
  }
}
