package io.adapterplatform.registry.auth;

import io.adapterplatform.registry.problem.ApiException;
import io.adapterplatform.registry.problem.Problems;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.databind.json.JsonMapper;

/**
 * Authenticates every {@code /api/v1/**} request by its bearer token (401 otherwise) and leaves the
 * {@link Caller} for controllers; roles (403) are checked by the services that know the operation.
 */
@Component
class AuthFilter extends OncePerRequestFilter {

  static final String CALLER = AuthFilter.class.getName() + ".caller";

  private final TokenService tokens;
  private final JsonMapper json = JsonMapper.builder().build();

  AuthFilter(TokenService tokens) {
    this.tokens = tokens;
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    return !request.getRequestURI().startsWith("/api/v1/");
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String header = request.getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
      reject(request, response, "an 'Authorization: Bearer <token>' header is required");
      return;
    }
    var caller = tokens.authenticate(header.substring(7).strip());
    if (caller.isEmpty()) {
      reject(request, response, "the bearer token is unknown or revoked");
      return;
    }
    request.setAttribute(CALLER, caller.get());
    chain.doFilter(request, response);
  }

  private void reject(HttpServletRequest request, HttpServletResponse response, String detail) throws IOException {
    response.setStatus(401);
    response.setHeader("WWW-Authenticate", "Bearer");
    response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
    json.writeValue(response.getOutputStream(), Problems.body(ApiException.unauthorized(detail), request.getRequestURI()));
  }

}
