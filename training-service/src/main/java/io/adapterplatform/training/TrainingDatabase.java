package io.adapterplatform.training;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.springframework.boot.sql.init.dependency.DatabaseInitializationDependencyConfigurer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * The schema {@code training} and its own Flyway history ({@code training.flyway_schema_history},
 * migrations under {@code db/training}). Its SQL names tables qualified ({@code training.job}): in
 * the one-JVM launcher the connections' search path is the registry's schema.
 */
@Configuration(proxyBeanMethods = false)
@Import(DatabaseInitializationDependencyConfigurer.class)
class TrainingDatabase {

  static final String SCHEMA = "training";

  @Bean
  Flyway trainingFlyway(DataSource dataSource) {
    Flyway flyway =
        Flyway.configure()
            .dataSource(dataSource)
            .schemas(SCHEMA)
            .defaultSchema(SCHEMA)
            .createSchemas(true)
            .table("flyway_schema_history")
            .locations("classpath:db/training")
            .load();
    flyway.migrate();
    return flyway;
  }
}
