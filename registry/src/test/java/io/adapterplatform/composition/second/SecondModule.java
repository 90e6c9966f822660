package io.adapterplatform.composition.second;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.FullyQualifiedAnnotationBeanNameGenerator;

/**
 * A stand-in for the next service, composed the way RegistryModule is: its own packages, schema
 * "second" with its own Flyway history, and an {@link Outbox} of its own beside the registry's.
 */
@Configuration(proxyBeanMethods = false)
@ComponentScan(
    basePackageClasses = SecondModule.class,
    nameGenerator = FullyQualifiedAnnotationBeanNameGenerator.class)
public class SecondModule {

  @Bean
  Flyway secondFlyway(DataSource dataSource) {
    Flyway flyway =
        Flyway.configure()
            .dataSource(dataSource)
            .schemas("second")
            .defaultSchema("second")
            .createSchemas(true)
            .table("flyway_schema_history")
            .locations("classpath:db/second")
            .load();
    flyway.migrate();
    return flyway;
  }
}
