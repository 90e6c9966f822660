package io.adapterplatform.serving.openai;

import static org.springframework.http.HttpStatus.FORBIDDEN;
import static org.springframework.http.HttpStatus.UNAUTHORIZED;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.adapterplatform.api.registry.client.AdaptersApi;
import io.adapterplatform.api.registry.client.BaseModelsApi;
import io.adapterplatform.api.registry.invoker.ApiClient;
import io.adapterplatform.api.registry.invoker.ApiException;
import io.adapterplatform.api.registry.model.AdapterPage;
import io.adapterplatform.api.registry.model.BaseModelPage;
import io.adapterplatform.serving.engine.ServingEngine;
import io.adapterplatform.serving.models.RegistryAccess;
import io.adapterplatform.web.openapi.ApiDocs;
import io.adapterplatform.web.openapi.ProblemResponses;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * OpenAI's {@code GET /v1/models} (READER): the base models and the adapters with a live version
 * that the caller's token may use, read from the registry with that token, so its scopes apply as
 * they do there.
 */
@RestController
@Tag(name = "openai")
@SecurityRequirement(name = ApiDocs.BEARER)
@ConditionalOnBooleanProperty(name = "platform.serving.engine.enabled", matchIfMissing = true)
class ModelsController {

  private static final int PAGE = 500;

  private final RegistryAccess registry;
  private final ServingEngine engine;

  ModelsController(RegistryAccess registry, ServingEngine engine) {
    this.registry = registry;
    this.engine = engine;
  }

  /** An entry of the list; {@code parent} is an adapter's base model, absent for a base model. */
  @Schema(name = "Model")
  record Model(
      String id,
      @Schema(allowableValues = "model") String object,
      long created,
      String owned_by,
      @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String parent) {}

  record ModelList(@Schema(allowableValues = "list") String object, List<Model> data) {}

  @GetMapping(path = "/v1/models", produces = MediaType.APPLICATION_JSON_VALUE)
  @ProblemResponses({UNAUTHORIZED, FORBIDDEN})
  ModelList listModels(HttpServletRequest request) {
    String token = request.getHeader("Authorization").substring(7).strip();
    ApiClient client = registry.client(token);
    List<Model> data = new ArrayList<>();
    try {
      String cursor = null;
      do {
        BaseModelPage page = new BaseModelsApi(client).listBaseModels(PAGE, cursor);
        page.getItems().stream()
            .filter(b -> served(b.getName()))
            .forEach(b -> data.add(model(b.getName(), b.getCreatedAt(), null)));
        cursor = page.getNextCursor();
      } while (cursor != null);
      do {
        AdapterPage page = new AdaptersApi(client).listAdapters(PAGE, cursor, null, null, null);
        // an adapter without a live version cannot be used: a request for it is 404
        page.getItems().stream()
            .filter(a -> a.getLatestVersion() != null && served(a.getBaseModel()))
            .forEach(a -> data.add(model(a.getName(), a.getCreatedAt(), a.getBaseModel())));
        cursor = page.getNextCursor();
      } while (cursor != null);
    } catch (ApiException e) {
      throw RegistryAccess.failure(e.getCode(), e.getResponseBody(), "the models");
    }
    return new ModelList("list", data);
  }

  // a pinned server answers only for its base models (any other is 404): list only what it serves
  private boolean served(String baseModel) {
    List<String> pinned = engine.pinned();
    return pinned.isEmpty() || pinned.contains(baseModel);
  }

  private static Model model(String id, OffsetDateTime created, String parent) {
    return new Model(
        id, "model", created == null ? 0 : created.toEpochSecond(), "adapter-platform", parent);
  }
}
