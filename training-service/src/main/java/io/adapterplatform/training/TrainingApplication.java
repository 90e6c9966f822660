package io.adapterplatform.training;

import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Import;

/**
 * Runs the training service alone (its own Deployment) against external PostgreSQL, S3 and Kafka,
 * with the registry reached over HTTP: tokens verified by introspection ({@code
 * platform.auth.registry-url}), base models and adapters read through the registry's generated
 * client. The one-JVM launcher imports {@link TrainingModule} instead. Settings: {@code
 * training-service.yml}, then {@code training-application.yml} (only this class loads it), then the
 * environment the Helm chart sets.
 *
 * <p>Deliberately not a {@code @SpringBootConfiguration}: {@link TrainingModule} scans this
 * package, and a {@code @Configuration} here would be found by that scan and bring a second
 * application into every context that imports the module (the one-JVM launcher, the tests).
 */
@EnableAutoConfiguration
@Import(TrainingModule.class)
public class TrainingApplication {

  public static void main(String[] args) {
    application().run(args);
  }

  /** The application {@link #main} runs, so that a test starts exactly the same one. */
  public static SpringApplication application() {
    var app = new SpringApplication(TrainingApplication.class);
    app.setDefaultProperties(
        Map.of("spring.config.name", "application,training-service,training-application"));
    return app;
  }
}
