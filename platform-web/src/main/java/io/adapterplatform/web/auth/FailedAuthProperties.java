package io.adapterplatform.web.auth;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How many unknown tokens one client address may present within a window before it is answered 429
 * ({@code platform.auth.failed-limit.max-failures}, 100; {@code platform.auth.failed-limit.window},
 * 1 min).
 */
@ConfigurationProperties("platform.auth.failed-limit")
public record FailedAuthProperties(
    @DefaultValue("100") int maxFailures, @DefaultValue("1m") Duration window) {}
