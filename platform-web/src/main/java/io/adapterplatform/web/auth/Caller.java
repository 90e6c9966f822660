package io.adapterplatform.web.auth;

import io.adapterplatform.web.problem.ApiException;
import java.util.EnumSet;
import java.util.Set;

/** The authenticated token behind a request; controllers receive it as an argument. */
public record Caller(long tokenId, String tokenName, Set<Role> roles) {

  public Caller {
    roles = Set.copyOf(roles);
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
