package io.adapterplatform.registry.auth;

import static org.springframework.http.HttpStatus.BAD_REQUEST;
import static org.springframework.http.HttpStatus.FORBIDDEN;
import static org.springframework.http.HttpStatus.NOT_FOUND;
import static org.springframework.http.HttpStatus.UNAUTHORIZED;

import io.adapterplatform.registry.openapi.Locations;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.auth.Role;
import io.adapterplatform.web.openapi.ApiDocs;
import io.adapterplatform.web.openapi.ProblemResponses;
import io.adapterplatform.web.problem.JsonRequestBody;
import io.adapterplatform.web.page.Names;
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
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

@RestController
@Tag(name = "tokens")
@SecurityRequirement(name = ApiDocs.BEARER)
class TokenController {

  record CreateTokenRequest(@Schema(pattern = Names.PATTERN) String name, @ArraySchema(minItems = 1) List<Role> roles) implements JsonRequestBody {}

  record IssuedToken(long id, String name, List<Role> roles, String token, Instant createdAt) {}

  /** Who a token is: how services deployed without the registry verify the tokens it issued. */
  record CurrentToken(long id, String name, List<Role> roles) {}

  private final TokenService tokens;

  TokenController(TokenService tokens) {
    this.tokens = tokens;
  }

  @PostMapping(path = "/api/v1/tokens", consumes = "application/json", produces = "application/json")
  @ApiResponse(responseCode = "201", description = "Issued", useReturnTypeSchema = true,
      headers = @Header(name = "Location", schema = @Schema(types = "string", format = "uri")))
  @ProblemResponses({BAD_REQUEST, UNAUTHORIZED, FORBIDDEN})
  ResponseEntity<IssuedToken> createToken(Caller caller, @RequestBody CreateTokenRequest request) {
    caller.require(Role.ADMIN);
    var issued = tokens.issue(caller, request.name(), request.roles() == null ? Set.of() : Set.copyOf(request.roles()));
    var t = issued.token();
    var body = new IssuedToken(t.id(), t.name(), t.roles().stream().sorted().toList(), issued.secret(), t.createdAt());
    return ResponseEntity.created(Locations.of("/api/v1/tokens/{id}", t.id())).body(body);
  }

  @GetMapping(path = "/api/v1/tokens/self", produces = "application/json")
  @ProblemResponses(UNAUTHORIZED)
  CurrentToken getCurrentToken(Caller caller) {
    return new CurrentToken(caller.tokenId(), caller.tokenName(), caller.roles().stream().sorted().toList());
  }

  @DeleteMapping("/api/v1/tokens/{id}")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  @ProblemResponses({UNAUTHORIZED, FORBIDDEN, NOT_FOUND})
  void revokeToken(Caller caller, @PathVariable long id) {
    caller.require(Role.ADMIN);
    tokens.revoke(caller, id);
  }
}
