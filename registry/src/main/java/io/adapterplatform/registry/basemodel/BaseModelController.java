package io.adapterplatform.registry.basemodel;

import io.adapterplatform.registry.auth.Caller;
import io.adapterplatform.registry.storage.Downloads;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Encoding;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.parameters.RequestBody;
import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

@RestController
class BaseModelController {

  /** Documents the multipart body that {@link #uploadBaseModel} parses as a stream. */
  record BaseModelUpload(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) String name,
      @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<byte[]> files) {}

  private final BaseModelService service;
  private final Downloads downloads;

  BaseModelController(BaseModelService service, Downloads downloads) {
    this.service = service;
    this.downloads = downloads;
  }

  @PostMapping(path = "/api/v1/base-models", consumes = "multipart/form-data", produces = "application/json")
  @ResponseStatus(HttpStatus.CREATED)
  @RequestBody(required = true, content = @Content(mediaType = "multipart/form-data",
      schema = @Schema(implementation = BaseModelUpload.class),
      encoding = @Encoding(name = "files", contentType = "application/octet-stream")))
  BaseModels.BaseModel uploadBaseModel(Caller caller, HttpServletRequest request) {
    return service.upload(caller, request);
  }

  @GetMapping(path = "/api/v1/base-models", produces = "application/json")
  BaseModels.BaseModelPage listBaseModels(Caller caller, @RequestParam(required = false) Integer limit,
      @RequestParam(required = false) String cursor) {
    return service.list(caller, limit, cursor);
  }

  @GetMapping(path = "/api/v1/base-models/{name}", produces = "application/json")
  BaseModels.BaseModel getBaseModel(Caller caller, @PathVariable String name) {
    return service.get(caller, name);
  }

  @GetMapping(path = "/api/v1/base-models/{name}/files/{file}", produces = "application/octet-stream")
  ResponseEntity<StreamingResponseBody> downloadBaseModelFile(Caller caller, @PathVariable String name,
      @PathVariable String file, @Parameter(name = "Range") @RequestHeader(name = "Range", required = false) String range,
      @RequestHeader(name = "If-None-Match", required = false) String ifNoneMatch) {
    return downloads.blob(service.file(caller, name, file), range, ifNoneMatch);
  }
}
