package io.adapterplatform.embedded;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.test.context.ContextConfiguration;

/**
 * On a Spring test class (with {@code @SpringBootTest} or another context annotation): the context
 * gets the JVM's shared backends ({@link BackendsInitializer}) and test methods may take a {@link
 * BackendEndpoints} parameter ({@link BackendsExtension}).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ContextConfiguration(initializers = BackendsInitializer.class)
@ExtendWith(BackendsExtension.class)
public @interface PlatformBackends {}
