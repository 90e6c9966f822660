package io.adapterplatform.registry.auth;

import static org.springframework.http.HttpStatus.BAD_REQUEST;
import static org.springframework.http.HttpStatus.CONTENT_TOO_LARGE;
import static org.springframework.http.HttpStatus.FORBIDDEN;
import static org.springframework.http.HttpStatus.NOT_FOUND;
import static org.springframework.http.HttpStatus.UNAUTHORIZED;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import io.adapterplatform.registry.openapi.Locations;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.auth.RequiresRole;
import io.adapterplatform.web.auth.Role;
import io.adapterplatform.web.openapi.ApiDocs;
import io.adapterplatform.web.openapi.ProblemResponses;
import io.adapterplatform.web.page.Cursors;
import io.adapterplatform.web.page.Names;
import io.adapterplatform.web.problem.JsonRequestBody;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

@RestController
@Tag(name = "tokens")
@SecurityRequirement(name = ApiDocs.BEARER)
class TokenController {

  /**
   * {@code scopes}: adapter-name prefixes the token is limited to; absent or empty, every adapter.
   */
  @JsonInclude(Include.NON_NULL)
  record CreateTokenRequest(
      @Schema(pattern = Names.PATTERN) String name,
      @ArraySchema(minItems = 1) List<Role> roles,
      @Nullable Instant expiresAt,
      @Nullable List<String> scopes)
      implements JsonRequestBody {}

  @JsonInclude(Include.NON_NULL)
  record IssuedToken(
      long id,
      String name,
      List<Role> roles,
      List<String> scopes,
      String token,
      Instant createdAt,
      @Nullable Instant expiresAt) {}

  /** A token as listed: never its secret nor its hash. */
  @JsonInclude(Include.NON_NULL)
  record TokenInfo(
      long id,
      String name,
      List<Role> roles,
      List<String> scopes,
      Instant createdAt,
      @Nullable Instant expiresAt,
      boolean revoked,
      @Nullable Instant revokedAt) {}

  record TokenPage(
      List<TokenInfo> items, @JsonInclude(Include.ALWAYS) @Nullable String nextCursor) {}

  /** Who a token is: how services deployed without the registry verify the tokens it issued. */
  /**
   * {@code scopes}: so that services verifying tokens through the registry hide what the registry
   * hides.
   */
  record CurrentToken(long id, String name, List<Role> roles, List<String> scopes) {}

  private final TokenService tokens;

  TokenController(TokenService tokens) {
    this.tokens = tokens;
  }

  @PostMapping(
      path = "/api/v1/tokens",
      consumes = "application/json",
      produces = "application/json")
  @ApiResponse(
      responseCode = "201",
      description = "Issued",
      useReturnTypeSchema = true,
      headers = @Header(name = "Location", schema = @Schema(types = "string", format = "uri")))
  @ProblemResponses({BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, CONTENT_TOO_LARGE})
  @RequiresRole(Role.ADMIN)
  ResponseEntity<IssuedToken> createToken(Caller caller, @RequestBody CreateTokenRequest request) {
    caller.require(Role.ADMIN);
    var issued =
        tokens.issue(
            caller,
            request.name(),
            request.roles() == null ? Set.of() : Set.copyOf(request.roles()),
            request.expiresAt(),
            request.scopes());
    var t = issued.token();
    var body =
        new IssuedToken(
            t.id(),
            t.name(),
            t.roles().stream().sorted().toList(),
            t.scopes(),
            issued.secret(),
            t.createdAt(),
            t.expiresAt());
    return ResponseEntity.created(Locations.of("/api/v1/tokens/{id}", t.id())).body(body);
  }

  @GetMapping(path = "/api/v1/tokens/self", produces = "application/json")
  @ProblemResponses(UNAUTHORIZED)
  CurrentToken getCurrentToken(Caller caller) {
    return new CurrentToken(
        caller.tokenId(),
        caller.tokenName(),
        caller.roles().stream().sorted().toList(),
        caller.scopes());
  }

  @GetMapping(path = "/api/v1/tokens", produces = "application/json")
  @ProblemResponses({BAD_REQUEST, UNAUTHORIZED, FORBIDDEN})
  TokenPage listTokens(
      Caller caller,
      @RequestParam(required = false) Integer limit,
      @RequestParam(required = false) String cursor) {
    caller.require(Role.ADMIN);
    int n = Cursors.limit(limit);
    var rows = tokens.list(caller, n + 1, cursor == null ? 0 : Cursors.decodeLong(cursor));
    var items =
        rows.stream()
            .limit(n)
            .map(
                t ->
                    new TokenInfo(
                        t.id(),
                        t.name(),
                        t.roles().stream().sorted().toList(),
                        t.scopes(),
                        t.createdAt(),
                        t.expiresAt(),
                        t.revoked(),
                        t.revokedAt()))
            .toList();
    return new TokenPage(items, Cursors.next(rows, n, t -> t.id()));
  }

  @DeleteMapping("/api/v1/tokens/{id}")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  @ProblemResponses({UNAUTHORIZED, FORBIDDEN, NOT_FOUND})
  void revokeToken(Caller caller, @PathVariable long id) {
    caller.require(Role.ADMIN);
    tokens.revoke(caller, id);
  }
}
