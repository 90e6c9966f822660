package io.adapterplatform.serving;

import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Import;

/**
 * Runs the serving service alone (one Deployment per served base model) against external Kafka,
 * with the registry reached over HTTP: tokens verified by introspection ({@code
 * platform.auth.registry-url}), names resolved and files downloaded through the registry's API. The
 * one-JVM launcher imports {@link ServingModule} instead. Settings: {@code serving-application.yml}
 * (only this class loads it), then the environment the Helm chart sets.
 *
 * <p>Deliberately not a {@code @SpringBootConfiguration}: {@link ServingModule} scans this package,
 * and a {@code @Configuration} here would be found by that scan and bring a second application into
 * every context that imports the module.
 *
 * <p>Serving owns no database (its pool is rebuilt from the registry), so no DataSource is made
 * even where a JDBC driver is on the class path, as it is in a test beside the registry.
 */
@EnableAutoConfiguration(
    excludeName = {
      "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
      "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration"
    })
@Import(ServingModule.class)
public class ServingApplication {

  public static void main(String[] args) {
    application().run(args);
  }

  /** The application {@link #main} runs, so that a test starts exactly the same one. */
  public static SpringApplication application() {
    var app = new SpringApplication(ServingApplication.class);
    app.setDefaultProperties(
        Map.of("spring.config.name", "application,serving-service,serving-application"));
    return app;
  }
}
