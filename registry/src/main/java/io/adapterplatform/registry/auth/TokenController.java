package io.adapterplatform.registry.auth;

import static org.springframework.http.HttpStatus.BAD_REQUEST;
import static org.springframework.http.HttpStatus.CONTENT_TOO_LARGE;
import static org.springframework.http.HttpStatus.FORBIDDEN;
import static org.springframework.http.HttpStatus.NOT_FOUND;
import static org.springframework.http.HttpStatus.UNAUTHORIZED;

import io.adapterplatform.registry.openapi.ApiDocs;
import io.adapterplatform.registry.openapi.Locations;
import io.adapterplatform.registry.openapi.ProblemResponses;
import io.adapterplatform.registry.problem.JsonRequestBody;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

@RestController
@Tag(name = "tokens")
@SecurityRequirement(name = ApiDocs.BEARER)
class TokenController {

  record CreateTokenRequest(String name, @ArraySchema(minItems = 1) List<Role> roles) implements JsonRequestBody {}

  record IssuedToken(long id, String name, List<Role> roles, String token, Instant createdAt) {}

  private final TokenService tokens;

  TokenController(TokenService tokens) {
    this.tokens = tokens;
  }

  @PostMapping(path = "/api/v1/tokens", consumes = "application/json", produces = "application/json")
  @ApiResponse(responseCode = "201", description = "Issued", useReturnTypeSchema = true,
      headers = @Header(name = "Location", schema = @Schema(types = "string", format = "uri")))
  @ProblemResponses({BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, CONTENT_TOO_LARGE})
  @RequiresRole(Role.ADMIN)
  ResponseEntity<IssuedToken> createToken(Caller caller, @RequestBody CreateTokenRequest request) {
    caller.require(Role.ADMIN);
    var issued = tokens.issue(caller, request.name(), request.roles() == null ? Set.of() : Set.copyOf(request.roles()));
    var t = issued.token();
    var body = new IssuedToken(t.id(), t.name(), t.roles().stream().sorted().toList(), issued.secret(), t.createdAt());
    return ResponseEntity.created(Locations.of("/api/v1/tokens/{id}", t.id())).body(body);
  }

  @DeleteMapping("/api/v1/tokens/{id}")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  @ProblemResponses({UNAUTHORIZED, FORBIDDEN, NOT_FOUND})
  void revokeToken(Caller caller, @PathVariable long id) {
    caller.require(Role.ADMIN);
    tokens.revoke(caller, id);
  }
}
