package io.adapterplatform.serving;

import java.net.URI;
import java.util.List;
import java.util.Optional;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code platform.serving.*}: where the registry is and how bare adapter names resolve.
 *
 * @param registryUrl the registry's base URL; absent in one JVM, where the registry answers on this
 *     server's own port ({@code local.server.port})
 * @param defaultAlias the alias a bare adapter name means when the adapter has it (otherwise its
 *     latest version)
 * @param preload adapters ({@code adapter}, {@code adapter@version}, {@code adapter@alias}) loaded
 *     at start-up
 * @param registryToken the token of the service's own registry calls (preloads, loads that follow
 *     registry events): a READER token; absent in one JVM, where the admin token is used
 */
@ConfigurationProperties("platform.serving")
public record ServingProperties(
    Optional<URI> registryUrl,
    Optional<String> defaultAlias,
    @DefaultValue List<String> preload,
    Optional<String> registryToken) {

  public ServingProperties {
    registryUrl = registryUrl == null ? Optional.empty() : registryUrl;
    defaultAlias = defaultAlias == null ? Optional.empty() : defaultAlias.filter(a -> !a.isBlank());
    preload = preload == null ? List.of() : List.copyOf(preload);
    registryToken =
        registryToken == null ? Optional.empty() : registryToken.filter(t -> !t.isBlank());
  }
}
