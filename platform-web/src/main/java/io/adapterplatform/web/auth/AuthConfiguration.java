package io.adapterplatform.web.auth;

import java.time.Clock;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * Bearer tokens for every service: the filter in front of {@code /api/v1/**} and the actuator, and
 * the {@link Caller} argument of controller methods. The {@link TokenVerifier} is the registry's
 * token service where the registry runs in the context; elsewhere {@code
 * platform.auth.registry-url} names the registry that verifies tokens ({@link
 * RemoteTokenVerifier}).
 */
@Configuration(proxyBeanMethods = false)
@Import(CallerResolver.class)
@EnableConfigurationProperties({RemoteAuthProperties.class, FailedAuthProperties.class})
public class AuthConfiguration {

  /** One limiter per context: every filter that checks tokens counts failures in it. */
  @Bean
  FailedAuthLimiter failedAuthLimiter(FailedAuthProperties failedLimit) {
    return new FailedAuthLimiter(failedLimit);
  }

  @Bean
  AuthFilter authFilter(TokenVerifier tokens, FailedAuthLimiter failedAuthLimiter) {
    return new AuthFilter(tokens, failedAuthLimiter);
  }

  @Bean
  @ConditionalOnMissingBean(TokenVerifier.class)
  @ConditionalOnProperty("platform.auth.registry-url")
  RemoteTokenVerifier remoteTokenVerifier(RemoteAuthProperties properties) {
    return new RemoteTokenVerifier(
        properties.registryUrl(), properties.cacheTtl(), Clock.systemUTC());
  }
}
