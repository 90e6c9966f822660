package io.adapterplatform.registry.auth;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

@RestController
class TokenController {

  record CreateTokenRequest(String name, List<Role> roles) {}

  record IssuedToken(long id, String name, List<Role> roles, String token, Instant createdAt) {}

  private final TokenService tokens;

  TokenController(TokenService tokens) {
    this.tokens = tokens;
  }

  @PostMapping(path = "/api/v1/tokens", consumes = "application/json", produces = "application/json")
  @ResponseStatus(HttpStatus.CREATED)
  IssuedToken createToken(Caller caller, @RequestBody CreateTokenRequest request) {
    caller.require(Role.ADMIN);
    var issued = tokens.issue(caller, request.name(), request.roles() == null ? Set.of() : Set.copyOf(request.roles()));
    var t = issued.token();
    return new IssuedToken(t.id(), t.name(), t.roles().stream().sorted().toList(), issued.secret(), t.createdAt());
  }

  @DeleteMapping("/api/v1/tokens/{id}")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  void revokeToken(Caller caller, @PathVariable long id) {
    caller.require(Role.ADMIN);
    tokens.revoke(caller, id);
  }
}
