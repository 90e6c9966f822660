package io.adapterplatform.web.auth;

import io.adapterplatform.web.problem.ApiException;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The authenticated token behind a request; controllers receive it as an argument. {@code scopes}
 * are the adapter-name prefixes the token is limited to (empty: every adapter); the registry
 * enforces them.
 */
public record Caller(long tokenId, String tokenName, Set<Role> roles, List<String> scopes) {

  public Caller {
    roles = Set.copyOf(roles);
    scopes = List.copyOf(scopes);
  }

  public Caller(long tokenId, String tokenName, Set<Role> roles) {
    this(tokenId, tokenName, roles, List.of());
  }

  /**
   * Whether the adapter of this name exists for this caller at all (outside its scopes it does
   * not).
   */
  public boolean sees(String adapterName) {
    return scopes.isEmpty() || scopes.stream().anyMatch(adapterName::startsWith);
  }

  /** Throws 403 unless one of the caller's roles grants {@code role}. */
  public void require(Role role) {
    if (!has(role)) {
      throw ApiException.forbidden("this operation needs the " + role + " role");
    }
  }

  public boolean has(Role role) {
    var granted = EnumSet.noneOf(Role.class);
    roles.forEach(r -> granted.addAll(r.grants()));
    return granted.contains(role);
  }

  /** How audit rows and events name the actor: never the secret, only id and name. */
  public String actor() {
    return "token:" + tokenId + ":" + tokenName;
  }
}
