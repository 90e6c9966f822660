package io.adapterplatform.embedded;

import java.util.Objects;
import java.util.Optional;

/**
 * How {@link EmbeddedBackends} starts its servers. A port of {@code 0} means "any free port".
 *
 * @param postgresPort PostgreSQL port, 0 for a free one
 * @param s3Port S3Proxy port, 0 for a free one
 * @param kafkaPort Kafka client listener port, 0 for a free one
 * @param kafkaControllerPort Kafka KRaft controller port, 0 for a free one
 * @param s3Credentials keys S3Proxy accepts; empty: the data directory's own, generated on its
 *     first start
 * @param s3Region region reported to clients (S3Proxy accepts any)
 */
public record Settings(
    int postgresPort,
    int s3Port,
    int kafkaPort,
    int kafkaControllerPort,
    Optional<S3Credentials> s3Credentials,
    String s3Region) {

  public static final String DEFAULT_REGION = "us-east-1";

  public Settings {
    checkPort("postgresPort", postgresPort);
    checkPort("s3Port", s3Port);
    checkPort("kafkaPort", kafkaPort);
    checkPort("kafkaControllerPort", kafkaControllerPort);
    Objects.requireNonNull(s3Credentials, "s3Credentials");
    Objects.requireNonNull(s3Region, "s3Region");
  }

  /** Free ports and S3 keys generated per data directory. */
  public static Settings defaults() {
    return new Settings(0, 0, 0, 0, Optional.empty(), DEFAULT_REGION);
  }

  public Settings withPostgresPort(int port) {
    return new Settings(port, s3Port, kafkaPort, kafkaControllerPort, s3Credentials, s3Region);
  }

  public Settings withS3Port(int port) {
    return new Settings(
        postgresPort, port, kafkaPort, kafkaControllerPort, s3Credentials, s3Region);
  }

  public Settings withKafkaPort(int port) {
    return new Settings(postgresPort, s3Port, port, kafkaControllerPort, s3Credentials, s3Region);
  }

  public Settings withKafkaControllerPort(int port) {
    return new Settings(postgresPort, s3Port, kafkaPort, port, s3Credentials, s3Region);
  }

  public Settings withS3Credentials(String accessKey, String secretKey) {
    return new Settings(
        postgresPort,
        s3Port,
        kafkaPort,
        kafkaControllerPort,
        Optional.of(new S3Credentials(accessKey, secretKey)),
        s3Region);
  }

  private static void checkPort(String name, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(name + " must be 0 (free) or a TCP port, was " + port);
    }
  }
}
