package io.adapterplatform.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.adapterplatform.embedded.BackendEndpoints;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LaunchSettingsTest {

  private static final String LONG_TOKEN = "example-admin-token-0123456789abcdef";

  @Test
  void defaultsToLoopbackPort8080FreeBackendPortsNoTokenAndTheDataDirBelowTheWorkingDirectory() {
    var settings = LaunchSettings.from(new String[0], Map.of());

    assertThat(settings.bindAddress()).isEqualTo("127.0.0.1");
    assertThat(settings.port()).isEqualTo(8080);
    assertThat(settings.dataDir())
        .isEqualTo(Path.of(".platform-data").toAbsolutePath().normalize());
    assertThat(settings.adminToken()).isEmpty();
    assertThat(settings.backends().postgresPort()).isZero();
    assertThat(settings.backends().s3Port()).isZero();
    assertThat(settings.backends().kafkaPort()).isZero();
  }

  @Test
  void readsTheEnvironmentAndLetsArgumentsWin() {
    var env =
        Map.of(
            "PLATFORM_PORT",
            "9090",
            "PLATFORM_DATA_DIR",
            "/srv/platform",
            "PLATFORM_ADMIN_TOKEN",
            LONG_TOKEN,
            "PLATFORM_BIND",
            "0.0.0.0",
            "PLATFORM_POSTGRES_PORT",
            "15432",
            "PLATFORM_S3_PORT",
            "19000",
            "PLATFORM_KAFKA_PORT",
            "19092");

    var settings = LaunchSettings.from(new String[] {"--platform.port=9191", "--unrelated=1"}, env);

    assertThat(settings.port()).isEqualTo(9191);
    assertThat(settings.dataDir()).isEqualTo(Path.of("/srv/platform"));
    assertThat(settings.adminToken()).contains(LONG_TOKEN);
    assertThat(settings.bindAddress()).isEqualTo("0.0.0.0");
    assertThat(settings.backends().postgresPort()).isEqualTo(15432);
    assertThat(settings.backends().s3Port()).isEqualTo(19000);
    assertThat(settings.backends().kafkaPort()).isEqualTo(19092);
  }

  @Test
  void aBlankAdminTokenCountsAsUnset() {
    assertThat(
            LaunchSettings.from(new String[0], Map.of("PLATFORM_ADMIN_TOKEN", "  ")).adminToken())
        .isEmpty();
  }

  @Test
  void rejectsPortsThatAreNotTcpPortsNamingTheVariable() {
    assertThatThrownBy(() -> LaunchSettings.from(new String[0], Map.of("PLATFORM_PORT", "http")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("PLATFORM_PORT must be a TCP port number, was 'http'");
    assertThatThrownBy(
            () -> LaunchSettings.from(new String[0], Map.of("PLATFORM_KAFKA_PORT", "70000")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("PLATFORM_KAFKA_PORT must be between 0 and 65535, was 70000");
  }

  @Test
  void refusesAnAdminTokenShorterThan32CharactersSayingWhy() {
    assertThatThrownBy(
            () ->
                LaunchSettings.from(new String[0], Map.of("PLATFORM_ADMIN_TOKEN", "admin-secret")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "PLATFORM_ADMIN_TOKEN must be at least 32 characters, was 12 (make one with: openssl rand -hex 24)");
    assertThat(
            LaunchSettings.from(
                    new String[0],
                    Map.of("PLATFORM_ADMIN_TOKEN", "0123456789abcdef0123456789abcdef"))
                .adminToken())
        .hasValueSatisfying(token -> assertThat(token).hasSize(32));
  }

  @Test
  void tomcatIsToldToListenOnLoopbackOnlyUnlessPlatformBindSaysOtherwise() {
    var endpoints =
        new BackendEndpoints(
            "jdbc:postgresql://127.0.0.1:1/postgres",
            "u",
            "p",
            "http://127.0.0.1:2",
            "ak",
            "sk",
            "us-east-1",
            "127.0.0.1:3");

    var byDefault =
        LocalPlatform.launcherProperties(LaunchSettings.from(new String[0], Map.of()), endpoints);
    var told =
        LocalPlatform.launcherProperties(
            LaunchSettings.from(new String[0], Map.of("PLATFORM_BIND", "0.0.0.0")), endpoints);

    assertThat(byDefault).containsEntry("server.address", "127.0.0.1");
    assertThat(told).containsEntry("server.address", "0.0.0.0");
    assertThat(LocalPlatform.isLoopback("127.0.0.1")).isTrue();
    assertThat(LocalPlatform.isLoopback("::1")).isTrue();
    assertThat(LocalPlatform.isLoopback("0.0.0.0")).as("every interface").isFalse();
  }
}
