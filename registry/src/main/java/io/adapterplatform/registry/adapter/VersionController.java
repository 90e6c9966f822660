package io.adapterplatform.registry.adapter;

import io.adapterplatform.registry.auth.Caller;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Encoding;
import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

@RestController
class VersionController {

  /** Documents the multipart body that {@link #publishVersion} parses as a stream. */
  record VersionUpload(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<byte[]> files) {}

  private final VersionService versions;
  private final AliasService aliases;

  VersionController(VersionService versions, AliasService aliases) {
    this.versions = versions;
    this.aliases = aliases;
  }

  @PostMapping(path = "/api/v1/adapters/{name}/versions", consumes = "multipart/form-data", produces = "application/json")
  @ResponseStatus(HttpStatus.CREATED)
  @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = @Content(mediaType = "multipart/form-data",
      schema = @Schema(implementation = VersionUpload.class),
      encoding = @Encoding(name = "files", contentType = "application/octet-stream")))
  Adapters.AdapterVersion publishVersion(Caller caller, @PathVariable String name, HttpServletRequest request) {
    return versions.publish(caller, name, request);
  }

  @GetMapping(path = "/api/v1/adapters/{name}/versions", produces = "application/json")
  Adapters.VersionPage listVersions(Caller caller, @PathVariable String name,
      @RequestParam(required = false) Integer limit, @RequestParam(required = false) String cursor) {
    return versions.list(caller, name, limit, cursor);
  }

  @GetMapping(path = "/api/v1/adapters/{name}/versions/{ref}", produces = "application/json")
  Adapters.AdapterVersion getVersion(Caller caller, @PathVariable String name, @PathVariable String ref) {
    return versions.get(caller, name, ref);
  }

  @DeleteMapping("/api/v1/adapters/{name}/versions/{ref}")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  void deleteVersion(Caller caller, @PathVariable String name, @PathVariable String ref) {
    versions.delete(caller, name, ref);
  }

  @GetMapping(path = "/api/v1/adapters/{name}/versions/{ref}/files/{file}", produces = "application/octet-stream")
  ResponseEntity<StreamingResponseBody> downloadVersionFile(Caller caller, @PathVariable String name,
      @PathVariable String ref, @PathVariable String file,
      @RequestHeader(name = "Range", required = false) String range,
      @RequestHeader(name = "If-None-Match", required = false) String ifNoneMatch) {
    return versions.download(caller, name, ref, file, range, ifNoneMatch);
  }

  @GetMapping(path = "/api/v1/adapters/{name}/aliases", produces = "application/json")
  List<Adapters.Alias> listAliases(Caller caller, @PathVariable String name) {
    return aliases.list(caller, name);
  }

  @GetMapping(path = "/api/v1/adapters/{name}/aliases/{alias}", produces = "application/json")
  Adapters.Alias getAlias(Caller caller, @PathVariable String name, @PathVariable String alias) {
    return aliases.get(caller, name, alias);
  }

  @PutMapping(path = "/api/v1/adapters/{name}/aliases/{alias}", consumes = "application/json", produces = "application/json")
  Adapters.Alias moveAlias(Caller caller, @PathVariable String name, @PathVariable String alias,
      @RequestBody Adapters.MoveAliasRequest request) {
    return aliases.move(caller, name, alias, request);
  }

  @DeleteMapping("/api/v1/adapters/{name}/aliases/{alias}")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  void deleteAlias(Caller caller, @PathVariable String name, @PathVariable String alias) {
    aliases.delete(caller, name, alias);
  }
}
