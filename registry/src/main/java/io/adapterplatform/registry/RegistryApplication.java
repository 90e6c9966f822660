package io.adapterplatform.registry;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Import;

/**
 * Runs the registry alone against external PostgreSQL, S3 and Kafka (the launcher imports {@link
 * RegistryModule} instead). No component scan here: the module says what the registry is.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@Import(RegistryModule.class)
public class RegistryApplication {
  public static void main(String[] args) {
    var app = new SpringApplication(RegistryApplication.class);
    // registry.yml holds the defaults, so that the one-JVM launcher can load them beside other
    // services'.
    app.setDefaultProperties(
        java.util.Map.of(
            "spring.config.name",
            "application,registry",
            "server.port",
            System.getenv().getOrDefault("PLATFORM_PORT", "8080")));
    app.run(args);
  }
}
