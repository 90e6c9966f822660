package io.adapterplatform.serving.pool;

import io.adapterplatform.serving.models.RegistryAccess;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Executors;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The pool as a bean. Its {@link PoolWriter} is looked up at the first load, so the pool starts
 * before (or without) the scheduler that owns the engine's {@code AdapterPool}.
 */
@Configuration(proxyBeanMethods = false)
class PoolConfiguration {

  @Bean(destroyMethod = "close")
  ServingPool servingPool(
      PoolProperties properties,
      RegistryAccess registry,
      ObjectProvider<PoolWriter> writer,
      ObjectProvider<MeterRegistry> meters) {
    Path dir = properties.diskDir().orElseGet(PoolConfiguration::temporaryDirectory);
    return new ServingPool(
        properties,
        new AdapterFiles(registry, dir),
        writer::getIfAvailable,
        Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("adapter-load-", 0).factory()),
        Clock.systemUTC(),
        meters.getIfAvailable(SimpleMeterRegistry::new));
  }

  private static Path temporaryDirectory() {
    try {
      return Files.createTempDirectory("serving-adapters-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the adapter disk tier's directory", e);
    }
  }
}
