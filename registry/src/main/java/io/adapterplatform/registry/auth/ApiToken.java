package io.adapterplatform.registry.auth;

import io.adapterplatform.web.auth.Role;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

@Entity
@Table(name = "api_token")
class ApiToken {

  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  private Long id;

  private String name;

  @Column(name = "token_sha256", columnDefinition = "bpchar")
  private String tokenSha256;

  private String roles;

  @Column(name = "created_at")
  private Instant createdAt;

  @Column(name = "revoked_at")
  private Instant revokedAt;

  @Column(name = "expires_at")
  private Instant expiresAt;

  /** Adapter-name prefixes, comma-separated (names never contain commas); empty: unrestricted. */
  private String scopes = "";

  @Version
  @Column(name = "row_version")
  private long rowVersion;

  protected ApiToken() {}

  ApiToken(String name, String tokenSha256, Set<Role> roles, Instant createdAt) {
    this.name = name;
    this.tokenSha256 = tokenSha256;
    this.roles = roles.stream().map(Enum::name).sorted().collect(Collectors.joining(","));
    this.createdAt = createdAt;
  }

  ApiToken(
      String name,
      String tokenSha256,
      Set<Role> roles,
      Instant createdAt,
      Instant expiresAt,
      List<String> scopes) {
    this(name, tokenSha256, roles, createdAt);
    this.expiresAt = expiresAt;
    this.scopes = String.join(",", scopes);
  }

  String tokenSha256() {
    return tokenSha256;
  }

  Instant expiresAt() {
    return expiresAt;
  }

  Instant revokedAt() {
    return revokedAt;
  }

  List<String> scopes() {
    return scopes == null || scopes.isEmpty() ? List.of() : List.of(scopes.split(","));
  }

  Long id() {
    return id;
  }

  String name() {
    return name;
  }

  Instant createdAt() {
    return createdAt;
  }

  boolean revoked() {
    return revokedAt != null;
  }

  void revoke(Instant at) {
    revokedAt = at;
  }

  Set<Role> roles() {
    var set = EnumSet.noneOf(Role.class);
    Arrays.stream(roles.split(",")).filter(s -> !s.isBlank()).map(Role::valueOf).forEach(set::add);
    return set;
  }
}
