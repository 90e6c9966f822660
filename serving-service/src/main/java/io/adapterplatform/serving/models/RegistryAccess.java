package io.adapterplatform.serving.models;

import io.adapterplatform.api.registry.invoker.ApiClient;
import io.adapterplatform.serving.ServingProperties;
import io.adapterplatform.web.problem.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * The registry's public API as this service calls it: the generated client for metadata, plain
 * streaming GETs for files. Every call carries the token it is given (the caller's), so the
 * registry applies that token's roles and scopes.
 */
@Component
public class RegistryAccess {

  private final ServingProperties properties;
  private final Environment environment;
  private final HttpClient http =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(10))
          .followRedirects(HttpClient.Redirect.NORMAL)
          .build();

  public RegistryAccess(ServingProperties properties, Environment environment) {
    this.properties = properties;
    this.environment = environment;
  }

  /** The registry's base URL: configured, or this server's own port in one JVM. */
  public URI baseUri() {
    return properties
        .registryUrl()
        .orElseGet(
            () -> {
              String port = environment.getProperty("local.server.port");
              if (port == null) {
                throw new IllegalStateException(
                    "platform.serving.registry-url is not set and this server has no port yet");
              }
              return URI.create("http://localhost:" + port);
            });
  }

  /**
   * The token of this service's own calls (no request behind them): {@code
   * platform.serving.registry-token}, else, in one JVM beside the registry, its admin token.
   */
  public String serviceToken() {
    return properties
        .registryToken()
        .or(() -> Optional.ofNullable(environment.getProperty("platform.auth.admin-token")))
        .filter(t -> !t.isBlank())
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "platform.serving.registry-token is not set: preloads and event-driven loads"
                        + " need a READER token"));
  }

  /** A generated-client invoker that sends {@code token} (none when null). */
  public ApiClient client(String token) {
    var client = new ApiClient();
    client.updateBaseUri(baseUri().toString());
    if (token != null) {
      client.setRequestInterceptor(b -> b.header("Authorization", "Bearer " + token));
    }
    return client;
  }

  /**
   * Opens {@code path} below the base URL (segments are encoded here) as a stream; a status other
   * than 200 is mapped as {@link #failure} does.
   */
  public InputStream open(List<String> segments, String token) {
    var path = new StringBuilder();
    for (String s : segments) {
      path.append('/').append(URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20"));
    }
    var request = HttpRequest.newBuilder(URI.create(baseUri() + path.toString())).GET();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    try {
      HttpResponse<InputStream> response =
          http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      if (response.statusCode() != 200) {
        try (InputStream body = response.body()) {
          throw failure(
              response.statusCode(),
              new String(body.readNBytes(2048), StandardCharsets.UTF_8),
              path.toString());
        }
      }
      return response.body();
    } catch (IOException e) {
      throw unavailable(e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw unavailable("interrupted");
    }
  }

  /**
   * What a registry answer other than success means to a serving caller: its 401 and 403 pass
   * through, 404 and 410 (outside the token's scopes, unknown, deleted) are "does not exist", and
   * anything else is the registry failing, a 502.
   */
  public static ApiException failure(int status, String body, String what) {
    return switch (status) {
      case 401 -> ApiException.unauthorized("the registry refused the token");
      case 403 -> ApiException.forbidden("the registry refused access to " + what);
      case 404, 410 -> ApiException.notFound(what);
      default ->
          new ApiException(
              HttpStatus.BAD_GATEWAY,
              "registry-unavailable",
              "Bad gateway",
              "the registry answered " + status + " for " + what,
              List.of());
    };
  }

  static ApiException unavailable(String why) {
    return new ApiException(
        HttpStatus.BAD_GATEWAY,
        "registry-unavailable",
        "Bad gateway",
        "the registry cannot be reached: " + why,
        List.of());
  }
}
