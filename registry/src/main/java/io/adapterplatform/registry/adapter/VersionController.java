package io.adapterplatform.registry.adapter;

import static org.springframework.http.HttpStatus.BAD_REQUEST;
import static org.springframework.http.HttpStatus.CONFLICT;
import static org.springframework.http.HttpStatus.CONTENT_TOO_LARGE;
import static org.springframework.http.HttpStatus.FORBIDDEN;
import static org.springframework.http.HttpStatus.GONE;
import static org.springframework.http.HttpStatus.NOT_FOUND;
import static org.springframework.http.HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE;
import static org.springframework.http.HttpStatus.UNAUTHORIZED;
import static org.springframework.http.HttpStatus.UNPROCESSABLE_CONTENT;
import static org.springframework.http.HttpStatus.UNSUPPORTED_MEDIA_TYPE;

import io.adapterplatform.registry.idempotency.Idempotency;
import io.adapterplatform.registry.openapi.Locations;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.openapi.ApiDocs;
import io.adapterplatform.web.openapi.ProblemResponses;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Encoding;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.SchemaProperty;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;
import tools.jackson.databind.JsonNode;

@RestController
@Tag(name = "versions")
@SecurityRequirement(name = ApiDocs.BEARER)
class VersionController {

  static final String MERGE_PATCH = "application/merge-patch+json";
  static final String TAG_FILTER = "^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}:.{0,256}$";

  private final VersionService versions;
  private final Idempotency idempotency;

  VersionController(VersionService versions, Idempotency idempotency) {
    this.versions = versions;
    this.idempotency = idempotency;
  }

  /**
   * The multipart form of publishVersion (the JSON form composes, in the mixlora feature). The body
   * is parsed as a stream by the service, so its shape is declared here by hand.
   */
  @PostMapping(
      path = "/api/v1/adapters/{name}/versions",
      consumes = "multipart/form-data",
      produces = "application/json")
  @io.swagger.v3.oas.annotations.parameters.RequestBody(
      required = true,
      content =
          @Content(
              mediaType = "multipart/form-data",
              schema = @Schema(types = "object", requiredProperties = "files"),
              schemaProperties = {
                @SchemaProperty(
                    name = "files",
                    array = @ArraySchema(schema = @Schema(types = "string", format = "binary"))),
                @SchemaProperty(
                    name = "metadata",
                    schema = @Schema(types = "string", maxLength = VersionMetadata.MAX_BYTES))
              },
              encoding = {
                @Encoding(name = "files", contentType = "application/octet-stream"),
                @Encoding(name = "metadata", contentType = "application/json")
              }))
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
  ResponseEntity<Adapters.AdapterVersion> publishVersion(
      Caller caller, @PathVariable String name, HttpServletRequest request) {
    return idempotency.run(
        caller,
        "publishVersion",
        request,
        Adapters.AdapterVersion.class,
        null,
        () -> {
          var published = versions.publish(caller, name, request);
          return ResponseEntity.created(Locations.version(published.adapter(), published.version()))
              .body(published);
        });
  }

  @GetMapping(path = "/api/v1/adapters/{name}/versions", produces = "application/json")
  @ProblemResponses({BAD_REQUEST, UNAUTHORIZED, NOT_FOUND})
  Adapters.VersionPage listVersions(
      Caller caller,
      @PathVariable String name,
      @RequestParam(required = false) Integer limit,
      @RequestParam(required = false) String cursor,
      @RequestParam(name = "tag", required = false)
          @Parameter(
              array =
                  @ArraySchema(
                      maxItems = VersionMetadata.MAX_TAG_FILTERS,
                      schema = @Schema(types = "string", pattern = TAG_FILTER)))
          List<String> tag) {
    return versions.list(caller, name, limit, cursor, tag);
  }

  @GetMapping(path = "/api/v1/adapters/{name}/versions/{ref}", produces = "application/json")
  @ProblemResponses({BAD_REQUEST, UNAUTHORIZED, NOT_FOUND, GONE})
  Adapters.AdapterVersion getVersion(
      Caller caller, @PathVariable String name, @PathVariable String ref) {
    return versions.get(caller, name, ref);
  }

  @PatchMapping(
      path = "/api/v1/adapters/{name}/versions/{ref}",
      consumes = MERGE_PATCH,
      produces = "application/json")
  @io.swagger.v3.oas.annotations.parameters.RequestBody(
      required = true,
      content =
          @Content(
              mediaType = MERGE_PATCH,
              schema = @Schema(implementation = Adapters.VersionPatch.class)))
  @ProblemResponses({
    BAD_REQUEST,
    UNAUTHORIZED,
    FORBIDDEN,
    NOT_FOUND,
    GONE,
    UNSUPPORTED_MEDIA_TYPE,
    UNPROCESSABLE_CONTENT
  })
  Adapters.AdapterVersion updateVersion(
      Caller caller,
      @PathVariable String name,
      @PathVariable String ref,
      @RequestBody JsonNode patch) {
    return versions.patch(caller, name, ref, patch);
  }

  /**
   * The same patch sent as plain {@code application/json}; kept out of the contract (one media type
   * per operation).
   */
  @PatchMapping(
      path = "/api/v1/adapters/{name}/versions/{ref}",
      consumes = "application/json",
      produces = "application/json")
  @Operation(hidden = true)
  Adapters.AdapterVersion updateVersionAsJson(
      Caller caller,
      @PathVariable String name,
      @PathVariable String ref,
      @RequestBody JsonNode patch) {
    return versions.patch(caller, name, ref, patch);
  }

  @GetMapping(
      path = "/api/v1/adapters/{name}/versions/{ref}/archive",
      produces = "application/x-tar")
  @ApiResponse(
      responseCode = "200",
      description = "Every file of the version as one tar",
      headers = {
        @Header(name = "ETag", schema = @Schema(types = "string")),
        @Header(name = "Content-Disposition", schema = @Schema(types = "string"))
      },
      content =
          @Content(
              mediaType = "application/x-tar",
              schema = @Schema(types = "string", format = "binary")))
  @ApiResponse(responseCode = "304", description = "Not modified", content = @Content)
  @ProblemResponses({UNAUTHORIZED, NOT_FOUND, GONE})
  ResponseEntity<StreamingResponseBody> downloadVersionArchive(
      Caller caller,
      @PathVariable String name,
      @PathVariable String ref,
      @RequestHeader(name = "If-None-Match", required = false) String ifNoneMatch) {
    return versions.archive(caller, name, ref, ifNoneMatch);
  }

  @DeleteMapping("/api/v1/adapters/{name}/versions/{ref}")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  @ProblemResponses({BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, GONE})
  void deleteVersion(Caller caller, @PathVariable String name, @PathVariable String ref) {
    versions.delete(caller, name, ref);
  }

  @GetMapping(
      path = "/api/v1/adapters/{name}/versions/{ref}/files/{file}",
      produces = "application/octet-stream")
  @ApiResponse(responseCode = "200", ref = ApiDocs.FILE_BYTES)
  @ApiResponse(responseCode = "206", ref = ApiDocs.PARTIAL_BYTES)
  @ApiResponse(responseCode = "304", description = "Not modified", content = @Content)
  @ProblemResponses({UNAUTHORIZED, NOT_FOUND, GONE, REQUESTED_RANGE_NOT_SATISFIABLE})
  ResponseEntity<StreamingResponseBody> downloadVersionFile(
      Caller caller,
      @PathVariable String name,
      @PathVariable String ref,
      @PathVariable String file,
      @RequestHeader(name = "Range", required = false) String range,
      @RequestHeader(name = "If-None-Match", required = false) String ifNoneMatch) {
    return versions.download(caller, name, ref, file, range, ifNoneMatch);
  }
}
