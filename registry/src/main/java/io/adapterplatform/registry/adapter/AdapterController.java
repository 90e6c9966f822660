package io.adapterplatform.registry.adapter;

import static org.springframework.http.HttpStatus.BAD_REQUEST;
import static org.springframework.http.HttpStatus.CONFLICT;
import static org.springframework.http.HttpStatus.CONTENT_TOO_LARGE;
import static org.springframework.http.HttpStatus.FORBIDDEN;
import static org.springframework.http.HttpStatus.NOT_FOUND;
import static org.springframework.http.HttpStatus.UNAUTHORIZED;
import static org.springframework.http.HttpStatus.UNPROCESSABLE_CONTENT;

import io.adapterplatform.registry.idempotency.Idempotency;
import io.adapterplatform.registry.openapi.Locations;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.auth.RequiresRole;
import io.adapterplatform.web.auth.Role;
import io.adapterplatform.web.openapi.ApiDocs;
import io.adapterplatform.web.openapi.ProblemResponses;
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
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
@Tag(name = "adapters")
@SecurityRequirement(name = ApiDocs.BEARER)
class AdapterController {

  private final AdapterService adapters;
  private final Idempotency idempotency;

  AdapterController(AdapterService adapters, Idempotency idempotency) {
    this.adapters = adapters;
    this.idempotency = idempotency;
  }

  @PostMapping(
      path = "/api/v1/adapters",
      consumes = "application/json",
      produces = "application/json")
  @ApiResponse(
      responseCode = "201",
      description = "Created",
      useReturnTypeSchema = true,
      headers = @Header(name = "Location", schema = @Schema(types = "string", format = "uri")))
  @ProblemResponses({
    BAD_REQUEST,
    UNAUTHORIZED,
    FORBIDDEN,
    CONFLICT,
    CONTENT_TOO_LARGE,
    UNPROCESSABLE_CONTENT
  })
  @RequiresRole(Role.PUBLISHER)
  ResponseEntity<Adapters.Adapter> createAdapter(
      Caller caller, @RequestBody Adapters.CreateAdapterRequest request, HttpServletRequest http) {
    return idempotency.run(
        caller,
        "createAdapter",
        http,
        Adapters.Adapter.class,
        request,
        () -> {
          var created = adapters.create(caller, request);
          return ResponseEntity.created(Locations.of("/api/v1/adapters/{name}", created.name()))
              .body(created);
        });
  }

  @GetMapping(path = "/api/v1/adapters", produces = "application/json")
  @ProblemResponses({BAD_REQUEST, UNAUTHORIZED})
  Adapters.AdapterPage listAdapters(
      Caller caller,
      @RequestParam(required = false) Integer limit,
      @RequestParam(required = false) String cursor,
      @RequestParam(required = false) String baseModel,
      @RequestParam(required = false) Adapters.AdapterKind kind,
      @RequestParam(required = false) String label) {
    return adapters.list(caller, limit, cursor, baseModel, kind, label);
  }

  @GetMapping(path = "/api/v1/adapters/{name}", produces = "application/json")
  @ProblemResponses({BAD_REQUEST, UNAUTHORIZED, NOT_FOUND})
  Adapters.Adapter getAdapter(Caller caller, @PathVariable String name) {
    return adapters.get(caller, name);
  }
}
