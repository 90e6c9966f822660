package io.adapterplatform.training.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

class WorkerSettingsTest {

  private static WorkerSettings bindEnvironment(Map<String, Object> variables) {
    var environment = new StandardEnvironment();
    // Boot maps PLATFORM_TRAINING_... to platform.training.... in the source of this name only.
    environment
        .getPropertySources()
        .replace(
            StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
            new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, variables));
    return Binder.get(environment).bindOrCreate("platform.training", WorkerSettings.class);
  }

  @Test
  void theHelmChartsEnvironmentVariablesBindTheRoleAndTheWorkersSettings() {
    var settings =
        bindEnvironment(
            Map.of(
                "PLATFORM_TRAINING_ROLE", "worker",
                "PLATFORM_TRAINING_MAX_FUSED_JOBS", "8",
                "PLATFORM_TRAINING_WORKER_LEASE", "2m",
                "PLATFORM_TRAINING_WORKER_REGISTRY_TOKEN", "a-service-token"));

    assertThat(settings.role()).isEqualTo(WorkerSettings.Role.WORKER);
    assertThat(settings.role().runsWorker()).isTrue();
    assertThat(settings.maxFusedJobs()).isEqualTo(8);
    assertThat(settings.worker().registryToken()).isEqualTo("a-service-token");
    assertThat(settings.worker().lease()).isEqualTo(Duration.ofMinutes(2));
    assertThat(bindEnvironment(Map.of("PLATFORM_TRAINING_ROLE", "api")).role().runsWorker())
        .isFalse();
  }

  @Test
  void byDefaultOneProcessRunsTheApiAndAWorker() {
    var settings =
        new Binder(new MapConfigurationPropertySource(Map.of()))
            .bindOrCreate("platform.training", WorkerSettings.class);

    assertThat(settings.role()).isEqualTo(WorkerSettings.Role.ALL);
    assertThat(settings.maxAttempts()).isEqualTo(3);
    assertThat(settings.worker().lease()).isEqualTo(Duration.ofSeconds(60));
  }
}
