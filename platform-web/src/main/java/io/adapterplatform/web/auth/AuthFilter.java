package io.adapterplatform.web.auth;

import io.adapterplatform.web.problem.ApiException;
import io.adapterplatform.web.problem.Problems;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.databind.json.JsonMapper;

/**
 * Authenticates every {@code /api/v1/**}, {@code /hf/**} (the Hugging Face protocol) and {@code
 * /actuator/**} request by its bearer token (401 otherwise) and leaves the {@link Caller} for
 * controllers; roles (403) of API calls are checked by the services that know the operation.
 * Actuator endpoints need ADMIN here (no service sits behind them; {@code /actuator/prometheus}
 * METRICS, see {@link PathAccess}), except {@code /actuator/health} and its groups, which probes
 * call without a token. The OpenAPI document stays public: it describes the contract, holds no
 * data. Unknown tokens count against their address ({@link FailedAuthLimiter}: 429).
 */
public class AuthFilter extends OncePerRequestFilter {

  /** The request attribute that holds the authenticated {@link Caller}. */
  public static final String CALLER = AuthFilter.class.getName() + ".caller";

  private final TokenVerifier tokens;
  private final FailedAuthLimiter limiter;
  private final JsonMapper json = JsonMapper.builder().build();

  public AuthFilter(TokenVerifier tokens, FailedAuthLimiter limiter) {
    this.tokens = tokens;
    this.limiter = limiter;
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    String path = path(request);
    return !path.startsWith("/api/v1/") && !path.startsWith("/hf/") && !isProtectedActuator(path);
  }

  /**
   * The decoded, normalised path without ';' parameters, so that no spelling of a path slips past.
   */
  private static String path(HttpServletRequest request) {
    String info = request.getPathInfo();
    return request.getServletPath() + (info == null ? "" : info);
  }

  /** Every actuator path but health (and health's groups such as liveness/readiness). */
  static boolean isProtectedActuator(String path) {
    if (!path.equals("/actuator") && !path.startsWith("/actuator/")) {
      return false;
    }
    return !path.equals("/actuator/health") && !path.startsWith("/actuator/health/");
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    var blocked = limiter.refusal(request.getRemoteAddr());
    if (blocked.isPresent()) {
      tooMany(request, response, blocked.get());
      return;
    }
    String header = request.getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
      reject(request, response, "an 'Authorization: Bearer <token>' header is required");
      return;
    }
    Optional<Caller> caller;
    try {
      caller = tokens.authenticate(header.substring(7).strip());
    } catch (ApiException unavailable) { // a remote verifier could not ask the registry
      write(request, response, unavailable);
      return;
    }
    if (caller.isEmpty()) {
      var limited = limiter.recordFailure(request.getRemoteAddr());
      if (limited.isPresent()) {
        tooMany(request, response, limited.get());
      } else {
        reject(request, response, "the bearer token is unknown, expired or revoked");
      }
      return;
    }
    var refusal = PathAccess.refusal(path(request), caller.get());
    if (refusal.isPresent()) {
      write(request, response, refusal.get());
      return;
    }
    request.setAttribute(CALLER, caller.get());
    chain.doFilter(request, response);
  }

  private void reject(HttpServletRequest request, HttpServletResponse response, String detail)
      throws IOException {
    response.setHeader("WWW-Authenticate", "Bearer");
    write(request, response, ApiException.unauthorized(detail));
  }

  private void tooMany(
      HttpServletRequest request, HttpServletResponse response, ApiException problem)
      throws IOException {
    response.setHeader(
        "Retry-After", Long.toString(limiter.retryAfterSeconds(request.getRemoteAddr())));
    write(request, response, problem);
  }

  private void write(HttpServletRequest request, HttpServletResponse response, ApiException problem)
      throws IOException {
    response.setStatus(problem.status().value());
    response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
    json.writeValue(response.getOutputStream(), Problems.body(problem, request.getRequestURI()));
  }
}
