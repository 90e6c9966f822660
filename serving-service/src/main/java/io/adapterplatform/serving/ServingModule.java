package io.adapterplatform.serving;

import io.adapterplatform.serving.pool.PoolProperties;
import org.springframework.boot.context.TypeExcludeFilter;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.ComponentScan.Filter;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.FilterType;
import org.springframework.context.annotation.FullyQualifiedAnnotationBeanNameGenerator;

/**
 * The serving service as one module, composed beside the registry as the one-JVM launcher does: its
 * own packages, beans named by their fully qualified class name so that they never collide with
 * another service's. It owns no database schema: what it holds (the adapter pool) is rebuilt from
 * the registry after a restart.
 */
@Configuration(proxyBeanMethods = false)
@ComponentScan(
    basePackageClasses = ServingModule.class,
    nameGenerator = FullyQualifiedAnnotationBeanNameGenerator.class,
    excludeFilters = @Filter(type = FilterType.CUSTOM, classes = TypeExcludeFilter.class))
@EnableConfigurationProperties({ServingProperties.class, PoolProperties.class})
public class ServingModule {}
