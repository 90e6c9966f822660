package io.adapterplatform.serving.events;

import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties;

/**
 * The serving pod's consumer of {@code registry.events}: a group of its own (every pod must see
 * every event) that starts at the topic's end.
 */
@Configuration(proxyBeanMethods = false)
class EventsConfiguration {

  @Bean
  ConcurrentMessageListenerContainer<String, String> servingRegistryEventsContainer(
      KafkaProperties kafka, PoolEvents listener) {
    Map<String, Object> config = new java.util.HashMap<>(kafka.buildConsumerProperties());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "serving-pool-" + UUID.randomUUID());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "serving-registry-events");
    var factory =
        new DefaultKafkaConsumerFactory<>(
            config, new StringDeserializer(), new StringDeserializer());
    var container = new ContainerProperties(RegistryEvents.TOPIC);
    container.setMessageListener(listener);
    return new ConcurrentMessageListenerContainer<>(factory, container);
  }
}
