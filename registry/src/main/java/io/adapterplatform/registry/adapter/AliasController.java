package io.adapterplatform.registry.adapter;

import static org.springframework.http.HttpStatus.BAD_REQUEST;
import static org.springframework.http.HttpStatus.CONFLICT;
import static org.springframework.http.HttpStatus.CONTENT_TOO_LARGE;
import static org.springframework.http.HttpStatus.FORBIDDEN;
import static org.springframework.http.HttpStatus.GONE;
import static org.springframework.http.HttpStatus.NOT_FOUND;
import static org.springframework.http.HttpStatus.UNAUTHORIZED;

import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.auth.RequiresRole;
import io.adapterplatform.web.auth.Role;
import io.adapterplatform.web.openapi.ApiDocs;
import io.adapterplatform.web.openapi.ProblemResponses;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

@RestController
@Tag(name = "aliases")
@SecurityRequirement(name = ApiDocs.BEARER)
class AliasController {

  private final AliasService aliases;

  AliasController(AliasService aliases) {
    this.aliases = aliases;
  }

  @GetMapping(path = "/api/v1/adapters/{name}/aliases", produces = "application/json")
  @ProblemResponses({UNAUTHORIZED, NOT_FOUND})
  List<Adapters.Alias> listAliases(Caller caller, @PathVariable String name) {
    return aliases.list(caller, name);
  }

  @GetMapping(path = "/api/v1/adapters/{name}/aliases/{alias}", produces = "application/json")
  @ProblemResponses({UNAUTHORIZED, NOT_FOUND})
  Adapters.Alias getAlias(Caller caller, @PathVariable String name, @PathVariable String alias) {
    return aliases.get(caller, name, alias);
  }

  @PutMapping(
      path = "/api/v1/adapters/{name}/aliases/{alias}",
      consumes = "application/json",
      produces = "application/json")
  @ProblemResponses({
    BAD_REQUEST,
    UNAUTHORIZED,
    FORBIDDEN,
    NOT_FOUND,
    CONFLICT,
    GONE,
    CONTENT_TOO_LARGE
  })
  @RequiresRole(Role.PUBLISHER)
  Adapters.Alias moveAlias(
      Caller caller,
      @PathVariable String name,
      @PathVariable String alias,
      @RequestBody Adapters.MoveAliasRequest request) {
    return aliases.move(caller, name, alias, request);
  }

  @DeleteMapping("/api/v1/adapters/{name}/aliases/{alias}")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  @ProblemResponses({UNAUTHORIZED, FORBIDDEN, NOT_FOUND})
  void deleteAlias(Caller caller, @PathVariable String name, @PathVariable String alias) {
    aliases.delete(caller, name, alias);
  }
}
