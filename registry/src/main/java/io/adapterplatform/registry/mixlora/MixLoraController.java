package io.adapterplatform.registry.mixlora;

import static org.springframework.http.HttpStatus.BAD_REQUEST;
import static org.springframework.http.HttpStatus.CONFLICT;
import static org.springframework.http.HttpStatus.CONTENT_TOO_LARGE;
import static org.springframework.http.HttpStatus.FORBIDDEN;
import static org.springframework.http.HttpStatus.GONE;
import static org.springframework.http.HttpStatus.NOT_FOUND;
import static org.springframework.http.HttpStatus.UNAUTHORIZED;
import static org.springframework.http.HttpStatus.UNPROCESSABLE_CONTENT;
import static org.springframework.http.HttpStatus.UNSUPPORTED_MEDIA_TYPE;

import io.adapterplatform.registry.adapter.Adapters;
import io.adapterplatform.registry.adapter.VersionViews;
import io.adapterplatform.registry.idempotency.Idempotency;
import io.adapterplatform.registry.openapi.Locations;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.auth.RequiresRole;
import io.adapterplatform.web.auth.Role;
import io.adapterplatform.web.openapi.ApiDocs;
import io.adapterplatform.web.openapi.ProblemResponses;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

@RestController
@Tag(name = "versions")
@SecurityRequirement(name = ApiDocs.BEARER)
class MixLoraController {

  private final MixLoraService service;
  private final VersionViews views;
  private final Idempotency idempotency;

  MixLoraController(MixLoraService service, VersionViews views, Idempotency idempotency) {
    this.service = service;
    this.views = views;
    this.idempotency = idempotency;
  }

  /**
   * Makes a MixLoRA version from existing LoRA versions: {@code {"compose": {...}}}, with optional
   * {@code description}, {@code tags} and {@code lineage}.
   */
  @PostMapping(
      path = "/api/v1/adapters/{name}/compositions",
      consumes = "application/json",
      produces = "application/json")
  @Operation(operationId = "composeVersion")
  @ApiResponse(
      responseCode = "201",
      description = "Published",
      useReturnTypeSchema = true,
      headers = @Header(name = "Location", schema = @Schema(types = "string", format = "uri")))
  @ProblemResponses({
    BAD_REQUEST,
    UNAUTHORIZED,
    FORBIDDEN,
    NOT_FOUND,
    CONTENT_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    UNPROCESSABLE_CONTENT
  })
  @RequiresRole(Role.PUBLISHER)
  ResponseEntity<Adapters.AdapterVersion> composeVersion(
      Caller caller,
      @PathVariable String name,
      @RequestBody MixLoras.ComposeRequest request,
      HttpServletRequest http) {
    // One scope for both paths: a retry of a composition is the same operation whichever path it
    // took.
    return idempotency.run(
        caller,
        "composeVersion",
        http,
        Adapters.AdapterVersion.class,
        request,
        () -> {
          var composed = views.view(service.compose(caller, name, request));
          return ResponseEntity.created(Locations.version(composed.adapter(), composed.version()))
              .body(composed);
        });
  }

  /**
   * The JSON form of {@code POST .../versions} that came before {@code .../compositions}: still
   * served, left out of the contract so that every operation there takes one media type (generators
   * pick one).
   */
  @PostMapping(
      path = "/api/v1/adapters/{name}/versions",
      consumes = "application/json",
      produces = "application/json")
  @Operation(hidden = true)
  @ApiResponse(
      responseCode = "201",
      description = "Published",
      useReturnTypeSchema = true,
      headers = @Header(name = "Location", schema = @Schema(types = "string", format = "uri")))
  @ProblemResponses({
    BAD_REQUEST,
    UNAUTHORIZED,
    FORBIDDEN,
    NOT_FOUND,
    CONTENT_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    UNPROCESSABLE_CONTENT
  })
  @RequiresRole(Role.PUBLISHER)
  ResponseEntity<Adapters.AdapterVersion> composeVersionAtVersions(
      Caller caller,
      @PathVariable String name,
      @RequestBody MixLoras.ComposeRequest request,
      HttpServletRequest http) {
    return composeVersion(caller, name, request, http);
  }

  @GetMapping(
      path = "/api/v1/adapters/{name}/versions/{ref}/experts",
      produces = "application/json")
  @ProblemResponses({UNAUTHORIZED, NOT_FOUND, CONFLICT, GONE})
  MixLoras.MixLoraExperts listExperts(
      Caller caller, @PathVariable String name, @PathVariable String ref) {
    return service.experts(caller, name, ref);
  }
}
