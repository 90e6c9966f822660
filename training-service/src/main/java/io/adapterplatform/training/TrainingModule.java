package io.adapterplatform.training;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.FullyQualifiedAnnotationBeanNameGenerator;

/**
 * The training service as one module: its own packages, its schema {@code training} with its own
 * Flyway history ({@link TrainingDatabase}) and its own outbox. The one-JVM launcher imports it
 * beside the registry's module; the shared web layer comes from platform-web's auto-configuration.
 * Scanned beans are named by their fully qualified class name so that they never collide with
 * another service's beans of the same simple name.
 */
@Configuration(proxyBeanMethods = false)
@ComponentScan(
    basePackageClasses = TrainingModule.class,
    nameGenerator = FullyQualifiedAnnotationBeanNameGenerator.class)
@EnableConfigurationProperties({
  TrainingProperties.class,
  TrainingProperties.S3.class,
  io.adapterplatform.training.worker.WorkerSettings.class
})
public class TrainingModule {}
