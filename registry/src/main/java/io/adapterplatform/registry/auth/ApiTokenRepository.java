package io.adapterplatform.registry.auth;

import java.util.List;
import java.util.Optional;
import org.springframework.data.domain.Limit;
import org.springframework.data.jpa.repository.JpaRepository;

interface ApiTokenRepository extends JpaRepository<ApiToken, Long> {

  Optional<ApiToken> findByTokenSha256(String tokenSha256);

  List<ApiToken> findByNameAndRevokedAtIsNull(String name);

  List<ApiToken> findByIdGreaterThanOrderById(long afterId, Limit limit);
}
