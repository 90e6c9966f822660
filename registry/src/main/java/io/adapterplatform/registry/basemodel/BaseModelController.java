package io.adapterplatform.registry.basemodel;

import static org.springframework.http.HttpStatus.BAD_REQUEST;
import static org.springframework.http.HttpStatus.CONFLICT;
import static org.springframework.http.HttpStatus.CONTENT_TOO_LARGE;
import static org.springframework.http.HttpStatus.FORBIDDEN;
import static org.springframework.http.HttpStatus.NOT_FOUND;
import static org.springframework.http.HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE;
import static org.springframework.http.HttpStatus.UNAUTHORIZED;
import static org.springframework.http.HttpStatus.UNPROCESSABLE_CONTENT;

import io.adapterplatform.registry.idempotency.Idempotency;
import io.adapterplatform.registry.openapi.Locations;
import io.adapterplatform.registry.storage.Downloads;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.openapi.ApiDocs;
import io.adapterplatform.web.openapi.ProblemResponses;
import io.adapterplatform.web.page.Names;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Encoding;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.SchemaProperty;
import io.swagger.v3.oas.annotations.parameters.RequestBody;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

@RestController
@Tag(name = "base-models")
@SecurityRequirement(name = ApiDocs.BEARER)
class BaseModelController {

  private final BaseModelService service;
  private final Downloads downloads;
  private final Idempotency idempotency;

  BaseModelController(BaseModelService service, Downloads downloads, Idempotency idempotency) {
    this.idempotency = idempotency;
    this.service = service;
    this.downloads = downloads;
  }

  /**
   * The multipart body is parsed as a stream by the service, so its shape is declared here by hand.
   */
  @PostMapping(
      path = "/api/v1/base-models",
      consumes = "multipart/form-data",
      produces = "application/json")
  @RequestBody(
      required = true,
      content =
          @Content(
              mediaType = "multipart/form-data",
              schema =
                  @Schema(
                      types = "object",
                      requiredProperties = {"name", "files"}),
              schemaProperties = {
                @SchemaProperty(
                    name = "name",
                    schema = @Schema(types = "string", pattern = Names.PATTERN)),
                @SchemaProperty(
                    name = "files",
                    array = @ArraySchema(schema = @Schema(types = "string", format = "binary")))
              },
              encoding = @Encoding(name = "files", contentType = "application/octet-stream")))
  @ApiResponse(
      responseCode = "201",
      description = "Stored",
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
  ResponseEntity<BaseModels.BaseModel> uploadBaseModel(Caller caller, HttpServletRequest request) {
    return idempotency.run(
        caller,
        "uploadBaseModel",
        request,
        BaseModels.BaseModel.class,
        null,
        () -> {
          var stored = service.upload(caller, request);
          return ResponseEntity.created(Locations.of("/api/v1/base-models/{name}", stored.name()))
              .body(stored);
        });
  }

  @GetMapping(path = "/api/v1/base-models", produces = "application/json")
  @ProblemResponses({BAD_REQUEST, UNAUTHORIZED})
  BaseModels.BaseModelPage listBaseModels(
      Caller caller,
      @RequestParam(required = false) Integer limit,
      @RequestParam(required = false) String cursor) {
    return service.list(caller, limit, cursor);
  }

  @GetMapping(path = "/api/v1/base-models/{name}", produces = "application/json")
  @ProblemResponses({BAD_REQUEST, UNAUTHORIZED, NOT_FOUND})
  BaseModels.BaseModel getBaseModel(Caller caller, @PathVariable String name) {
    return service.get(caller, name);
  }

  @GetMapping(
      path = "/api/v1/base-models/{name}/files/{file}",
      produces = "application/octet-stream")
  @ApiResponse(responseCode = "200", ref = ApiDocs.FILE_BYTES)
  @ApiResponse(responseCode = "206", ref = ApiDocs.PARTIAL_BYTES)
  @ApiResponse(responseCode = "304", description = "Not modified", content = @Content)
  @ProblemResponses({UNAUTHORIZED, NOT_FOUND, REQUESTED_RANGE_NOT_SATISFIABLE})
  ResponseEntity<StreamingResponseBody> downloadBaseModelFile(
      Caller caller,
      @PathVariable String name,
      @PathVariable String file,
      @RequestHeader(name = "Range", required = false) String range,
      @RequestHeader(name = "If-None-Match", required = false) String ifNoneMatch) {
    return downloads.blob(service.file(caller, name, file), range, ifNoneMatch);
  }
}
