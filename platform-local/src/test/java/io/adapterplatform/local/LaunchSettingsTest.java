package io.adapterplatform.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LaunchSettingsTest {

  @Test
  void defaultsToPort8080FreeBackendPortsNoTokenAndTheDataDirBelowTheWorkingDirectory() {
    var settings = LaunchSettings.from(new String[0], Map.of());

    assertThat(settings.port()).isEqualTo(8080);
    assertThat(settings.dataDir()).isEqualTo(Path.of(".platform-data").toAbsolutePath().normalize());
    assertThat(settings.adminToken()).isEmpty();
    assertThat(settings.backends().postgresPort()).isZero();
    assertThat(settings.backends().s3Port()).isZero();
    assertThat(settings.backends().kafkaPort()).isZero();
  }

  @Test
  void readsTheEnvironmentAndLetsArgumentsWin() {
    var env = Map.of("PLATFORM_PORT", "9090", "PLATFORM_DATA_DIR", "/srv/platform", "PLATFORM_ADMIN_TOKEN", "secret",
        "PLATFORM_POSTGRES_PORT", "15432", "PLATFORM_S3_PORT", "19000", "PLATFORM_KAFKA_PORT", "19092");

    var settings = LaunchSettings.from(new String[] {"--platform.port=9191", "--unrelated=1"}, env);

    assertThat(settings.port()).isEqualTo(9191);
    assertThat(settings.dataDir()).isEqualTo(Path.of("/srv/platform"));
    assertThat(settings.adminToken()).contains("secret");
    assertThat(settings.backends().postgresPort()).isEqualTo(15432);
    assertThat(settings.backends().s3Port()).isEqualTo(19000);
    assertThat(settings.backends().kafkaPort()).isEqualTo(19092);
  }

  @Test
  void aBlankAdminTokenCountsAsUnset() {
    assertThat(LaunchSettings.from(new String[0], Map.of("PLATFORM_ADMIN_TOKEN", "  ")).adminToken()).isEmpty();
  }

  @Test
  void rejectsPortsThatAreNotTcpPortsNamingTheVariable() {
    assertThatThrownBy(() -> LaunchSettings.from(new String[0], Map.of("PLATFORM_PORT", "http")))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("PLATFORM_PORT must be a TCP port number, was 'http'");
    assertThatThrownBy(() -> LaunchSettings.from(new String[0], Map.of("PLATFORM_KAFKA_PORT", "70000")))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("PLATFORM_KAFKA_PORT must be between 0 and 65535, was 70000");
  }
}
