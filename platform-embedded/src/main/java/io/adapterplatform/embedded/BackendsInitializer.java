package io.adapterplatform.embedded;

import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;

/**
 * Spring tests: puts the {@link TestBackends#shared() shared} backends' properties ({@link
 * BackendEndpoints#asSpringProperties()}) first in the environment, ahead of application.yml.
 */
public final class BackendsInitializer
    implements ApplicationContextInitializer<ConfigurableApplicationContext> {

  static final String PROPERTY_SOURCE_NAME = "platformTestBackends";

  @Override
  public void initialize(ConfigurableApplicationContext context) {
    var sources = context.getEnvironment().getPropertySources();
    if (!sources.contains(PROPERTY_SOURCE_NAME)) {
      sources.addFirst(
          new MapPropertySource(PROPERTY_SOURCE_NAME, TestBackends.shared().asSpringProperties()));
    }
  }
}
