package io.adapterplatform.training.registry;

import io.adapterplatform.api.registry.client.AdaptersApi;
import io.adapterplatform.api.registry.client.BaseModelsApi;
import io.adapterplatform.api.registry.client.VersionsApi;
import io.adapterplatform.api.registry.invoker.ApiClient;
import io.adapterplatform.api.registry.invoker.ApiException;
import io.adapterplatform.engine.format.ModelConfig;
import io.adapterplatform.web.problem.ApiException.FieldError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * The registry as the training service sees it: through the registry's public API (platform-api's
 * generated client) with the caller's own bearer token, so that the caller's roles and scopes
 * decide what exists. Its address is {@code platform.training.registry-url}, resolved at first use
 * (its default names this server's port, known only once it listens).
 */
@Component
public class RegistryClient {

  /** What a job needs to know of its base model. */
  public record BaseModel(String name, List<String> projections) {}

  /** An existing adapter: the base model it belongs to. */
  public record Adapter(String name, String baseModel) {}

  /** A version of an adapter: its kind (LORA, DORA, MIXLORA) and base model. */
  public record Version(String adapter, int version, String kind, String baseModel) {}

  private static final Set<String> TOKENIZER_FILES = Set.of("config.json", "tokenizer.json");

  private final Environment environment;
  private volatile ApiClient client;

  RegistryClient(Environment environment) {
    this.environment = environment;
  }

  private ApiClient client() {
    var c = client;
    if (c == null) {
      c = new ApiClient();
      // A registry that hangs must not hold a submission (and its request thread) forever: 502.
      c.setConnectTimeout(Duration.ofSeconds(5));
      c.setReadTimeout(Duration.ofSeconds(30));
      c.updateBaseUri(
          environment.resolveRequiredPlaceholders(
              environment.getProperty(
                  "platform.training.registry-url", "http://localhost:${local.server.port}")));
      client = c;
    }
    return c;
  }

  private static Map<String, String> auth(String bearerToken) {
    return Map.of("Authorization", "Bearer " + bearerToken);
  }

  /** The base model and the projections of its architecture; empty when the caller sees none. */
  public Optional<BaseModel> baseModel(String bearerToken, String name) {
    var api = new BaseModelsApi(client());
    try {
      api.getBaseModel(name, auth(bearerToken));
      var config = api.downloadBaseModelFile(name, "config.json", null, null, auth(bearerToken));
      try {
        var parsed = ModelConfig.parse(Files.readAllBytes(config.toPath()), "config.json");
        return Optional.of(new BaseModel(name, parsed.projections()));
      } finally {
        Files.deleteIfExists(config.toPath());
      }
    } catch (ApiException e) {
      return absentOn404(e);
    } catch (IOException e) {
      throw unavailable(e.toString());
    }
  }

  /**
   * Downloads {@code config.json} and {@code tokenizer.json} of base model {@code name} into {@code
   * dir}, what a dataset's tokens are counted with; empty when the caller sees no such base model.
   * A file the model lacks is not written: opening a tokenizer on {@code dir} then says which.
   */
  public Optional<Path> tokenizerFiles(String bearerToken, String name, Path dir) {
    var api = new BaseModelsApi(client());
    try {
      var model = api.getBaseModel(name, auth(bearerToken));
      for (var file : model.getFiles()) {
        if (TOKENIZER_FILES.contains(file.getName())) {
          var downloaded =
              api.downloadBaseModelFile(name, file.getName(), null, null, auth(bearerToken));
          Files.move(
              downloaded.toPath(),
              dir.resolve(file.getName()),
              StandardCopyOption.REPLACE_EXISTING);
        }
      }
      return Optional.of(dir);
    } catch (ApiException e) {
      return absentOn404(e);
    } catch (IOException e) {
      throw unavailable(e.toString());
    }
  }

  public Optional<Adapter> adapter(String bearerToken, String name) {
    try {
      var a = new AdaptersApi(client()).getAdapter(name, auth(bearerToken));
      return Optional.of(new Adapter(a.getName(), a.getBaseModel()));
    } catch (ApiException e) {
      return absentOn404(e);
    }
  }

  public Optional<Version> version(String bearerToken, String adapter, String ref) {
    try {
      var v = new VersionsApi(client()).getVersion(adapter, ref, auth(bearerToken));
      return Optional.of(
          new Version(v.getAdapter(), v.getVersion(), v.getKind().getValue(), v.getBaseModel()));
    } catch (ApiException e) {
      return absentOn404(e);
    }
  }

  private static <T> Optional<T> absentOn404(ApiException e) {
    // 410: a deleted version is as absent as one that never was, for a new job.
    if (e.getCode() == 404 || e.getCode() == 410) {
      return Optional.empty();
    }
    if (e.getCode() == 401 || e.getCode() == 403) {
      throw io.adapterplatform.web.problem.ApiException.forbidden(
          "the registry refused the caller's token (" + e.getCode() + ")");
    }
    throw unavailable("the registry answered " + e.getCode());
  }

  private static io.adapterplatform.web.problem.ApiException unavailable(String why) {
    return new io.adapterplatform.web.problem.ApiException(
        HttpStatus.BAD_GATEWAY,
        "registry-unavailable",
        "Bad gateway",
        "the registry could not be asked: " + why,
        List.<FieldError>of());
  }
}
