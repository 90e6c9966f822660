package io.adapterplatform.serving.openai;

import io.adapterplatform.web.auth.AuthFilter;
import io.adapterplatform.web.auth.Caller;
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
 * without one, 403 for a METRICS-only token. Refusals carry OpenAI's {@code error} object.
 */
@Component
@ConditionalOnBooleanProperty(name = "platform.serving.engine.enabled", matchIfMissing = true)
class OpenAiAuthFilter extends OncePerRequestFilter {

  private final TokenVerifier tokens;
  private final JsonMapper json = JsonMapper.builder().build();

  OpenAiAuthFilter(TokenVerifier tokens) {
    this.tokens = tokens;
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
      reject(request, response, "the bearer token is unknown, expired or revoked");
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

  private void write(HttpServletRequest request, HttpServletResponse response, ApiException problem)
      throws IOException {
    response.setStatus(problem.status().value());
    response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
    json.writeValue(response.getOutputStream(), OpenAiProblem.of(problem, request.getRequestURI()));
  }
}
