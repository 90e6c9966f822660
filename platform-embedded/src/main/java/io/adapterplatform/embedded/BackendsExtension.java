package io.adapterplatform.embedded;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5: resolves {@link BackendEndpoints} parameters (constructor, lifecycle or test methods) to
 * the JVM's {@link TestBackends#shared() shared} backends.
 */
public final class BackendsExtension implements ParameterResolver {

  @Override
  public boolean supportsParameter(
      ParameterContext parameterContext, ExtensionContext extensionContext) {
    return parameterContext.getParameter().getType() == BackendEndpoints.class;
  }

  @Override
  public Object resolveParameter(
      ParameterContext parameterContext, ExtensionContext extensionContext) {
    return TestBackends.shared();
  }
}
