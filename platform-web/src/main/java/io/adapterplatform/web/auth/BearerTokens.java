package io.adapterplatform.web.auth;

import io.adapterplatform.web.problem.ApiException;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpHeaders;

/**
 * The bearer token of a request, for a service that calls another (the registry) with the caller's
 * own rights, so that the caller's roles and scopes decide there too.
 */
public final class BearerTokens {

  private static final String BEARER = "Bearer ";

  private BearerTokens() {}

  /** The token of {@code request}'s {@code Authorization: Bearer} header, or 401. */
  public static String of(HttpServletRequest request) {
    String header = request.getHeader(HttpHeaders.AUTHORIZATION);
    if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      throw ApiException.unauthorized("an 'Authorization: Bearer <token>' header is required");
    }
    return header.substring(BEARER.length()).trim();
  }
}
