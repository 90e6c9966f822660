package io.adapterplatform.web.auth;

import java.util.Optional;

/**
 * Turns a bearer token's secret into the {@link Caller} it stands for, or empty when the token is
 * unknown, revoked or expired. Exactly one per context: the registry's token service where the
 * registry runs, else the shared token table's reader.
 */
public interface TokenVerifier {

  Optional<Caller> authenticate(String secret);
}
