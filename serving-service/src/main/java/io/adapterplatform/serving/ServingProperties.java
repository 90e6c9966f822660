package io.adapterplatform.serving;

import java.net.URI;
import java.util.List;
import java.util.Optional;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.ConstructorBinding;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code platform.serving.*}: where the registry is, how bare adapter names resolve and which base
 * models this server holds.
 *
 * @param registryUrl the registry's base URL; absent in one JVM, where the registry answers on this
 *     server's own port ({@code local.server.port})
 * @param defaultAlias the alias a bare adapter name means when the adapter has it (otherwise its
 *     latest version)
 * @param preload adapters ({@code adapter}, {@code adapter@version}, {@code adapter@alias}) loaded
 *     at start-up
 * @param registryToken the token of the service's own registry calls (preloads, loads that follow
 *     registry events): a READER token; absent in one JVM, where the admin token is used
 * @param baseModels the base models this server is pinned to (a Kubernetes serving Deployment: the
 *     chart sets {@code PLATFORM_SERVING_BASE_MODELS}, comma-separated): loaded and warmed at
 *     start-up, never unloaded, and the only ones served (any other is 404). Empty (one JVM): any
 *     registered base model is loaded on first use, {@code
 *     platform.serving.engine.max-resident-models} at a time
 */
@ConfigurationProperties("platform.serving")
public record ServingProperties(
    Optional<URI> registryUrl,
    Optional<String> defaultAlias,
    @DefaultValue List<String> preload,
    Optional<String> registryToken,
    @DefaultValue List<String> baseModels) {

  @ConstructorBinding
  public ServingProperties {
    registryUrl = registryUrl == null ? Optional.empty() : registryUrl;
    defaultAlias = defaultAlias == null ? Optional.empty() : defaultAlias.filter(a -> !a.isBlank());
    preload = preload == null ? List.of() : List.copyOf(preload);
    registryToken =
        registryToken == null ? Optional.empty() : registryToken.filter(t -> !t.isBlank());
    // "a, b" from an environment variable binds as "a" and " b"
    baseModels =
        baseModels == null
            ? List.of()
            : baseModels.stream().map(String::strip).filter(m -> !m.isEmpty()).distinct().toList();
  }

  /** Settings of a server that loads base models on first use. */
  public ServingProperties(
      Optional<URI> registryUrl,
      Optional<String> defaultAlias,
      List<String> preload,
      Optional<String> registryToken) {
    this(registryUrl, defaultAlias, preload, registryToken, List.of());
  }
}
