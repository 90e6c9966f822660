package io.adapterplatform.registry;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.scheduling.annotation.EnableScheduling;

/** Runs the registry alone against external PostgreSQL, S3 and Kafka (the launcher embeds it instead). */
@SpringBootApplication
@EnableScheduling
public class RegistryApplication {
  public static void main(String[] args) {
    SpringApplication.run(RegistryApplication.class, args);
  }
}
