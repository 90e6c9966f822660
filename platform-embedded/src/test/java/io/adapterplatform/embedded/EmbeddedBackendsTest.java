package io.adapterplatform.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedBackendsTest {

  @TempDir Path dataDir;

  @Test
  void everyServerWorksAndKeepsItsDataAcrossAStopAndAStartOnFixedPorts() throws Exception {
    var object = new byte[3 * 1024 * 1024 + 17];
    new Random(7).nextBytes(object);
    var records = List.of("published 1", "alias moved", "published 2");

    try (var backends = EmbeddedBackends.start(dataDir)) {
      var endpoints = backends.endpoints();
      BackendProbes.sql(endpoints, "create table adapter (name text primary key)");
      BackendProbes.sql(endpoints, "insert into adapter values ('llama-lora')");
      BackendProbes.put(endpoints, "blobs", "sha256/ab/cd", object);
      BackendProbes.produce(endpoints, "registry.events", records);

      assertThat(BackendProbes.queryStrings(endpoints, "select name from adapter"))
          .containsExactly("llama-lora");
      assertThat(BackendProbes.get(endpoints, "blobs", "sha256/ab/cd")).isEqualTo(object);
      assertThat(BackendProbes.consume(endpoints, "registry.events", 3, Duration.ofSeconds(60)))
          .isEqualTo(records);
      assertThat(
              BackendProbes.queryStrings(
                  endpoints,
                  "select setting from pg_settings"
                      + " where name in ('fsync', 'synchronous_commit') order by name"))
          .as("a commit is on disk before it is acknowledged")
          .containsExactly("on", "on");
    }

    var ports = new int[] {FreePorts.resolve(0), FreePorts.resolve(0), FreePorts.resolve(0)};
    var fixed =
        Settings.defaults().withPostgresPort(ports[0]).withS3Port(ports[1]).withKafkaPort(ports[2]);
    try (var restarted = EmbeddedBackends.start(dataDir, fixed)) {
      var endpoints = restarted.endpoints();
      assertThat(endpoints.jdbcUrl()).contains(":" + ports[0] + "/");
      assertThat(endpoints.s3Endpoint()).endsWith(":" + ports[1]);
      assertThat(endpoints.kafkaBootstrapServers()).endsWith(":" + ports[2]);
      assertThat(BackendProbes.queryStrings(endpoints, "select name from adapter"))
          .containsExactly("llama-lora");
      assertThat(BackendProbes.get(endpoints, "blobs", "sha256/ab/cd")).isEqualTo(object);
      assertThat(BackendProbes.consume(endpoints, "registry.events", 3, Duration.ofSeconds(60)))
          .isEqualTo(records);

      assertThatThrownBy(() -> EmbeddedBackends.start(dataDir))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("in use by another running platform");
    }
  }

  @Test
  void keepsEverythingOwnerOnlyAndPostgresRefusesConnectionsWithoutItsPassword() throws Exception {
    var home = dataDir.resolve("fresh");
    BackendEndpoints first;

    try (var backends = EmbeddedBackends.start(home)) {
      first = backends.endpoints();

      for (var dir :
          List.of(
              home,
              home.resolve("postgres"),
              home.resolve("postgres-binaries"),
              home.resolve("s3"),
              home.resolve("kafka"))) {
        assertThat(permissions(dir)).as(dir.toString()).isEqualTo("rwx------");
      }
      for (var file :
          List.of(home.resolve("postgres-password"), home.resolve("s3-credentials.properties"))) {
        assertThat(permissions(file)).as(file.toString()).isEqualTo("rw-------");
      }
      assertThat(first.jdbcPassword())
          .isNotBlank()
          .isEqualTo(Files.readString(home.resolve("postgres-password")).strip());
      assertThatThrownBy(() -> DriverManager.getConnection(first.jdbcUrl(), "postgres", ""))
          .as("no password")
          .isInstanceOf(SQLException.class);
      assertThatThrownBy(
              () -> DriverManager.getConnection(first.jdbcUrl(), "postgres", "not-the-password"))
          .as("a wrong password")
          .isInstanceOf(SQLException.class);
      assertThat(BackendProbes.queryStrings(first, "select 'in'")).containsExactly("in");
      var postmaster =
          OrphanPostmaster.find(home.resolve("postgres"))
              .orElseThrow()
              .info()
              .command()
              .orElseThrow();
      assertThat(postmaster)
          .as("the binary that runs")
          .doesNotStartWith(
              Path.of(System.getProperty("java.io.tmpdir"), "embedded-pg").toString());
      assertThat(Path.of(postmaster))
          .as("the binary that runs")
          .startsWith(home.resolve("postgres-binaries"));
      assertThat(first.s3AccessKey()).isNotEqualTo("platform");
      assertThat(first.s3SecretKey())
          .isNotEqualTo("platform-local-secret")
          .hasSizeGreaterThanOrEqualTo(32);
    }

    try (var restarted = EmbeddedBackends.start(home)) {
      assertThat(restarted.endpoints().jdbcPassword()).isEqualTo(first.jdbcPassword());
      assertThat(restarted.endpoints().s3SecretKey()).isEqualTo(first.s3SecretKey());
    }
    assertThat(S3Credentials.of(OwnerOnly.directory(dataDir.resolve("other"))).secretKey())
        .as("another data directory")
        .isNotEqualTo(first.s3SecretKey());
  }

  private static String permissions(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }

  @Test
  void springPropertiesNameEveryEndpoint() {
    var endpoints =
        new BackendEndpoints(
            "jdbc:postgresql://h:1/db", "u", "p", "http://h:2", "ak", "sk", "eu-west-1", "h:3");

    assertThat(endpoints.asSpringProperties())
        .containsEntry("spring.datasource.url", "jdbc:postgresql://h:1/db")
        .containsEntry("spring.datasource.username", "u")
        .containsEntry("spring.datasource.password", "p")
        .containsEntry("platform.s3.endpoint", "http://h:2")
        .containsEntry("platform.s3.access-key", "ak")
        .containsEntry("platform.s3.secret-key", "sk")
        .containsEntry("platform.s3.region", "eu-west-1")
        .containsEntry("spring.kafka.bootstrap-servers", "h:3")
        .hasSize(8);
    assertThat(endpoints.toString()).doesNotContain("sk").doesNotContain("=p,");
  }
}
