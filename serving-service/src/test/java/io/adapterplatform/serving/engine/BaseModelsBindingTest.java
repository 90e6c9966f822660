package io.adapterplatform.serving.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.serving.ServingProperties;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/** The chart pins a serving Deployment with an environment variable: a comma-separated list. */
class BaseModelsBindingTest {

  @Test
  void theChartsEnvironmentVariableBindsToTheListOfPinnedBaseModels() {
    var environment = new StandardEnvironment();
    environment
        .getPropertySources()
        .addFirst(
            new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                Map.of("PLATFORM_SERVING_BASE_MODELS", "tiny-llama, qwen-small,,tiny-llama")));

    ServingProperties properties =
        new Binder(ConfigurationPropertySources.get(environment))
            .bind("platform.serving", ServingProperties.class)
            .get();

    assertThat(properties.baseModels()).containsExactly("tiny-llama", "qwen-small");
  }

  @Test
  void withoutTheSettingNoBaseModelIsPinned() {
    var environment = new StandardEnvironment();
    environment
        .getPropertySources()
        .remove(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);

    ServingProperties properties =
        new Binder(ConfigurationPropertySources.get(environment))
            .bindOrCreate("platform.serving", ServingProperties.class);

    assertThat(properties.baseModels()).isEmpty();
  }
}
