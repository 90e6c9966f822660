package io.adapterplatform.web.auth;

import java.net.URI;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Where a service deployed without the registry verifies tokens ({@code
 * platform.auth.registry-url}) and how long it trusts an answer ({@code platform.auth.cache-ttl},
 * 30 s).
 */
@ConfigurationProperties("platform.auth")
public record RemoteAuthProperties(
    @Nullable URI registryUrl, @DefaultValue("30s") Duration cacheTtl) {}
