package io.adapterplatform.embedded;

import java.util.Objects;

/**
 * How {@link EmbeddedBackends} starts its servers. A port of {@code 0} means "any free port".
 *
 * @param postgresPort PostgreSQL port, 0 for a free one
 * @param s3Port S3Proxy port, 0 for a free one
 * @param kafkaPort Kafka client listener port, 0 for a free one
 * @param kafkaControllerPort Kafka KRaft controller port, 0 for a free one
 * @param s3AccessKey access key S3Proxy accepts
 * @param s3SecretKey secret key S3Proxy accepts
 * @param s3Region region reported to clients (S3Proxy accepts any)
 */
public record Settings(int postgresPort, int s3Port, int kafkaPort, int kafkaControllerPort,
    String s3AccessKey, String s3SecretKey, String s3Region) {

  /** Only the in-JVM services use these keys; the embedded S3 server listens on the loopback interface. */
  public static final String DEFAULT_ACCESS_KEY = "platform";
  public static final String DEFAULT_SECRET_KEY = "platform-local-secret";
  public static final String DEFAULT_REGION = "us-east-1";

  public Settings {
    checkPort("postgresPort", postgresPort);
    checkPort("s3Port", s3Port);
    checkPort("kafkaPort", kafkaPort);
    checkPort("kafkaControllerPort", kafkaControllerPort);
    Objects.requireNonNull(s3AccessKey, "s3AccessKey");
    Objects.requireNonNull(s3SecretKey, "s3SecretKey");
    Objects.requireNonNull(s3Region, "s3Region");
    if (s3AccessKey.isBlank() || s3SecretKey.isBlank()) {
      throw new IllegalArgumentException("S3 access and secret keys must not be blank");
    }
  }

  /** Free ports and the default keys. */
  public static Settings defaults() {
    return new Settings(0, 0, 0, 0, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, DEFAULT_REGION);
  }

  public Settings withPostgresPort(int port) {
    return new Settings(port, s3Port, kafkaPort, kafkaControllerPort, s3AccessKey, s3SecretKey, s3Region);
  }

  public Settings withS3Port(int port) {
    return new Settings(postgresPort, port, kafkaPort, kafkaControllerPort, s3AccessKey, s3SecretKey, s3Region);
  }

  public Settings withKafkaPort(int port) {
    return new Settings(postgresPort, s3Port, port, kafkaControllerPort, s3AccessKey, s3SecretKey, s3Region);
  }

  public Settings withKafkaControllerPort(int port) {
    return new Settings(postgresPort, s3Port, kafkaPort, port, s3AccessKey, s3SecretKey, s3Region);
  }

  public Settings withS3Credentials(String accessKey, String secretKey) {
    return new Settings(postgresPort, s3Port, kafkaPort, kafkaControllerPort, accessKey, secretKey, s3Region);
  }

  private static void checkPort(String name, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(name + " must be 0 (free) or a TCP port, was " + port);
    }
  }
}
