package io.adapterplatform.serving.models;

import io.adapterplatform.api.registry.client.AdaptersApi;
import io.adapterplatform.api.registry.client.BaseModelsApi;
import io.adapterplatform.api.registry.client.VersionsApi;
import io.adapterplatform.api.registry.invoker.ApiClient;
import io.adapterplatform.api.registry.invoker.ApiException;
import io.adapterplatform.api.registry.model.AdapterVersion;
import io.adapterplatform.engine.format.AdapterKind;
import io.adapterplatform.serving.ServingProperties;
import java.util.Optional;
import org.springframework.stereotype.Service;

/**
 * Turns a request's model name into a base model or one adapter version, through the registry's
 * public API with the caller's token: an adapter outside the token's scopes is not found, as in the
 * registry. Nothing is cached, so an alias that moved is followed by the next resolution.
 */
@Service
public class ModelResolver {

  private final RegistryAccess registry;
  private final ServingProperties properties;

  public ModelResolver(RegistryAccess registry, ServingProperties properties) {
    this.registry = registry;
    this.properties = properties;
  }

  /**
   * Resolves {@code model} for the holder of {@code token}. A bare name is a base model when one of
   * that name exists, otherwise an adapter: its default alias when configured and present, else its
   * latest live version.
   *
   * @throws io.adapterplatform.web.problem.ApiException 400 for a malformed name, 404 for a model
   *     that does not exist for this token, 401/403 as the registry answers, 502 when the registry
   *     fails
   */
  public ResolvedModel resolve(String model, String token) {
    ModelName name = ModelName.parse(model);
    ApiClient client = registry.client(token);
    try {
      if (name.ref().isPresent()) {
        return adapter(new VersionsApi(client).getVersion(name.name(), name.ref().get()));
      }
      Optional<ResolvedModel> base = baseModel(client, name.name());
      if (base.isPresent()) {
        return base.get();
      }
      var adapter = new AdaptersApi(client).getAdapter(name.name());
      if (properties.defaultAlias().isPresent()) {
        Optional<AdapterVersion> aliased =
            absentOn404(
                () ->
                    new VersionsApi(client)
                        .getVersion(name.name(), properties.defaultAlias().get()));
        if (aliased.isPresent()) {
          return adapter(aliased.get());
        }
      }
      if (adapter.getLatestVersion() == null) {
        throw io.adapterplatform.web.problem.ApiException.notFound(
            "a live version of model '" + model + "'");
      }
      return adapter(
          new VersionsApi(client)
              .getVersion(name.name(), String.valueOf(adapter.getLatestVersion())));
    } catch (ApiException e) {
      throw RegistryAccess.failure(e.getCode(), e.getResponseBody(), "model '" + model + "'");
    }
  }

  private static Optional<ResolvedModel> baseModel(ApiClient client, String name)
      throws ApiException {
    return absentOn404(() -> new BaseModelsApi(client).getBaseModel(name))
        .map(b -> new ResolvedModel.Base(b.getName()));
  }

  private interface RegistryCall<T> {
    T call() throws ApiException;
  }

  private static <T> Optional<T> absentOn404(RegistryCall<T> call) throws ApiException {
    try {
      return Optional.of(call.call());
    } catch (ApiException e) {
      if (e.getCode() == 404 || e.getCode() == 410) {
        return Optional.empty();
      }
      throw e;
    }
  }

  static ResolvedAdapter adapter(AdapterVersion v) {
    return new ResolvedAdapter(
        new AdapterKey(v.getAdapter(), v.getVersion()),
        v.getBaseModel(),
        AdapterKind.valueOf(v.getKind().getValue()),
        v.getRank(),
        v.getFiles().stream()
            .map(f -> new StoredFile(f.getName(), f.getSha256(), f.getSize()))
            .toList());
  }
}
