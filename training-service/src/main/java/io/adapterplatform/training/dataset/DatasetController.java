package io.adapterplatform.training.dataset;

import static org.springframework.http.HttpStatus.BAD_REQUEST;
import static org.springframework.http.HttpStatus.CONTENT_TOO_LARGE;
import static org.springframework.http.HttpStatus.FORBIDDEN;
import static org.springframework.http.HttpStatus.NOT_FOUND;
import static org.springframework.http.HttpStatus.UNAUTHORIZED;
import static org.springframework.http.HttpStatus.UNPROCESSABLE_CONTENT;
import static org.springframework.http.HttpStatus.UNSUPPORTED_MEDIA_TYPE;

import io.adapterplatform.web.auth.BearerTokens;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.auth.RequiresRole;
import io.adapterplatform.web.auth.Role;
import io.adapterplatform.web.openapi.ApiDocs;
import io.adapterplatform.web.openapi.ProblemResponses;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.SchemaProperty;
import io.swagger.v3.oas.annotations.parameters.RequestBody;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
@Tag(name = "datasets")
@SecurityRequirement(name = ApiDocs.BEARER)
class DatasetController {

  private final DatasetService service;

  DatasetController(DatasetService service) {
    this.service = service;
  }

  /** The multipart body is parsed as a stream by the service, so its shape is declared here. */
  @PostMapping(
      path = "/api/v1/datasets",
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
                      requiredProperties = {"name", "file"}),
              schemaProperties = {
                @SchemaProperty(
                    name = "name",
                    schema = @Schema(types = "string", pattern = "^[a-z0-9][a-z0-9._-]{0,127}$")),
                @SchemaProperty(
                    name = "file",
                    schema = @Schema(types = "string", format = "binary")),
                @SchemaProperty(
                    name = "baseModel",
                    schema =
                        @Schema(
                            types = "string",
                            pattern = "^[a-z0-9][a-z0-9._-]{0,127}$",
                            description =
                                "A base model in the registry whose tokenizer counts the"
                                    + " dataset's tokens (`tokens` in the answer)."))
              }))
  @ApiResponse(
      responseCode = "201",
      description = "Stored",
      useReturnTypeSchema = true,
      headers = @Header(name = "Location", schema = @Schema(types = "string", format = "uri")))
  @ProblemResponses({
    BAD_REQUEST,
    UNAUTHORIZED,
    FORBIDDEN,
    CONTENT_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    UNPROCESSABLE_CONTENT
  })
  @RequiresRole(Role.TRAINER)
  ResponseEntity<Dataset> uploadDataset(Caller caller, HttpServletRequest request) {
    var dataset = service.upload(caller, BearerTokens.of(request), request);
    return ResponseEntity.created(
            URI.create("/api/v1/datasets/" + dataset.name() + "/versions/" + dataset.version()))
        .body(dataset);
  }

  @GetMapping(path = "/api/v1/datasets", produces = "application/json")
  @ProblemResponses({BAD_REQUEST, UNAUTHORIZED})
  @RequiresRole(Role.READER)
  DatasetPage listDatasets(
      Caller caller,
      @RequestParam(required = false) Integer limit,
      @RequestParam(required = false) String cursor) {
    return service.list(caller, limit, cursor);
  }

  @GetMapping(path = "/api/v1/datasets/{name}/versions/{version}", produces = "application/json")
  @ProblemResponses({BAD_REQUEST, UNAUTHORIZED, NOT_FOUND})
  @RequiresRole(Role.READER)
  Dataset getDataset(Caller caller, @PathVariable String name, @PathVariable int version) {
    return service.get(caller, name, version);
  }
}
