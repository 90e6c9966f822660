package io.adapterplatform.registry;

import org.springframework.boot.context.TypeExcludeFilter;
import org.springframework.boot.persistence.autoconfigure.EntityScan;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.ComponentScan.Filter;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.FilterType;
import org.springframework.context.annotation.FullyQualifiedAnnotationBeanNameGenerator;
import org.springframework.data.jpa.repository.config.EnableJpaRepositories;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * The registry as one module: its own packages, JPA entities and repositories, and its database
 * schema with its own Flyway history ({@link RegistryDatabase}). {@link RegistryApplication} runs
 * it alone; the one-JVM launcher imports it beside the other services' modules. The shared web
 * layer is not here: platform-web's auto-configuration adds it once per context. Scanned beans are
 * named by their fully qualified class name, so that the registry's {@code Outbox} and another
 * service's never collide in one context.
 */
@Configuration(proxyBeanMethods = false)
@ComponentScan(
    basePackageClasses = RegistryModule.class,
    nameGenerator = FullyQualifiedAnnotationBeanNameGenerator.class,
    excludeFilters = {
      @Filter(type = FilterType.CUSTOM, classes = TypeExcludeFilter.class),
      @Filter(type = FilterType.ASSIGNABLE_TYPE, classes = RegistryApplication.class)
    })
@EntityScan(basePackageClasses = RegistryModule.class)
@EnableJpaRepositories(
    basePackageClasses = RegistryModule.class,
    nameGenerator = FullyQualifiedAnnotationBeanNameGenerator.class)
@EnableScheduling
public class RegistryModule {}
