package io.adapterplatform.embedded;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where the platform's three backends answer: a PostgreSQL database, an S3 endpoint and a Kafka
 * broker. The same value describes embedded servers, Testcontainers or external services.
 *
 * @param jdbcUrl JDBC URL of the database
 * @param jdbcUsername database user
 * @param jdbcPassword database password (may be empty where the server trusts local connections)
 * @param s3Endpoint base URL of the S3 API, e.g. {@code http://127.0.0.1:9000}
 * @param s3AccessKey S3 access key
 * @param s3SecretKey S3 secret key
 * @param s3Region S3 region used for request signing
 * @param kafkaBootstrapServers Kafka bootstrap servers, {@code host:port[,host:port]}
 */
public record BackendEndpoints(
    String jdbcUrl,
    String jdbcUsername,
    String jdbcPassword,
    String s3Endpoint,
    String s3AccessKey,
    String s3SecretKey,
    String s3Region,
    String kafkaBootstrapServers) {

  public BackendEndpoints {
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    Objects.requireNonNull(jdbcUsername, "jdbcUsername");
    Objects.requireNonNull(jdbcPassword, "jdbcPassword");
    Objects.requireNonNull(s3Endpoint, "s3Endpoint");
    Objects.requireNonNull(s3AccessKey, "s3AccessKey");
    Objects.requireNonNull(s3SecretKey, "s3SecretKey");
    Objects.requireNonNull(s3Region, "s3Region");
    Objects.requireNonNull(kafkaBootstrapServers, "kafkaBootstrapServers");
  }

  /**
   * The Spring properties that point the services at these backends: {@code spring.datasource.url},
   * {@code spring.datasource.username}, {@code spring.datasource.password}, {@code
   * platform.s3.endpoint}, {@code platform.s3.access-key}, {@code platform.s3.secret-key}, {@code
   * platform.s3.region} and {@code spring.kafka.bootstrap-servers}.
   */
  public Map<String, Object> asSpringProperties() {
    var properties = new LinkedHashMap<String, Object>();
    properties.put("spring.datasource.url", jdbcUrl);
    properties.put("spring.datasource.username", jdbcUsername);
    properties.put("spring.datasource.password", jdbcPassword);
    properties.put("platform.s3.endpoint", s3Endpoint);
    properties.put("platform.s3.access-key", s3AccessKey);
    properties.put("platform.s3.secret-key", s3SecretKey);
    properties.put("platform.s3.region", s3Region);
    properties.put("spring.kafka.bootstrap-servers", kafkaBootstrapServers);
    return Collections.unmodifiableMap(properties);
  }

  /** Hides the secrets: endpoints end up in logs. */
  @Override
  public String toString() {
    return "BackendEndpoints[jdbcUrl="
        + jdbcUrl
        + ", jdbcUsername="
        + jdbcUsername
        + ", s3Endpoint="
        + s3Endpoint
        + ", s3Region="
        + s3Region
        + ", kafkaBootstrapServers="
        + kafkaBootstrapServers
        + "]";
  }
}
