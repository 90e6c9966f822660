package io.adapterplatform.serving.openai;

import io.adapterplatform.web.auth.AuthFilter;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.auth.FailedAuthLimiter;
import io.adapterplatform.web.auth.Role;
import io.adapterplatform.web.auth.TokenVerifier;
import io.adapterplatform.web.problem.ApiException;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.databind.json.JsonMapper;

/**
 * Authenticates the OpenAI-compatible paths ({@code /v1/**}, which the shared {@link AuthFilter}
 * leaves alone) with the same tokens: a bearer token of READER (or a role that implies it), 401
 * without one, 403 for a METRICS-only token. Unknown tokens count against their address in the
 * shared {@link FailedAuthLimiter}, as on {@code /api/v1/**}: past the limit every request from
 * that address is 429 with {@code Retry-After}, so guessing tokens on {@code /v1} is no cheaper.
 * Refusals carry OpenAI's {@code error} object.
 */
@Component
@ConditionalOnBooleanProperty(name = "platform.serving.engine.enabled", matchIfMissing = true)
class OpenAiAuthFilter extends OncePerRequestFilter {

  private final TokenVerifier tokens;
  private final FailedAuthLimiter limiter;
  private final JsonMapper json = JsonMapper.builder().build();

  OpenAiAuthFilter(TokenVerifier tokens, FailedAuthLimiter limiter) {
    this.tokens = tokens;
    this.limiter = limiter;
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    String info = request.getPathInfo();
    String path = request.getServletPath() + (info == null ? "" : info);
    return !path.startsWith("/v1/");
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
    } catch (ApiException unavailable) {
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
    if (!caller.get().has(Role.READER)) {
      write(request, response, ApiException.forbidden("completions need the READER role"));
      return;
    }
    request.setAttribute(AuthFilter.CALLER, caller.get());
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
    json.writeValue(response.getOutputStream(), OpenAiProblem.of(problem, request.getRequestURI()));
  }
}
