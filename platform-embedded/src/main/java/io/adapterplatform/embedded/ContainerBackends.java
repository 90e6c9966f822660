package io.adapterplatform.embedded;

import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The three backends as Docker containers; Testcontainers' reaper removes them when the JVM exits.
 */
final class ContainerBackends {

  static final String POSTGRES_IMAGE = "postgres:17-alpine";
  static final String MINIO_IMAGE = "minio/minio:RELEASE.2025-09-07T16-13-09Z";
  static final String KAFKA_IMAGE = "apache/kafka-native:4.1.0";

  private ContainerBackends() {}

  @SuppressWarnings("resource") // stopped by the Testcontainers reaper at JVM exit
  static BackendEndpoints start() {
    var postgres = new PostgreSQLContainer(POSTGRES_IMAGE);
    var minio = new MinIOContainer(MINIO_IMAGE);
    var kafka = new KafkaContainer(KAFKA_IMAGE);
    postgres.start();
    minio.start();
    kafka.start();
    return new BackendEndpoints(
        postgres.getJdbcUrl(),
        postgres.getUsername(),
        postgres.getPassword(),
        minio.getS3URL(),
        minio.getUserName(),
        minio.getPassword(),
        Settings.DEFAULT_REGION,
        kafka.getBootstrapServers());
  }
}
