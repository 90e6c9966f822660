package io.adapterplatform.serving.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Set;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Counts every {@code /v1/**} request by endpoint and status ({@code platform.serving.requests}),
 * refusals of the authentication filters included: it runs before them.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 100)
class RequestMetricsFilter extends OncePerRequestFilter {

  private static final Set<String> ENDPOINTS =
      Set.of("/v1/completions", "/v1/chat/completions", "/v1/models");

  private final MeterRegistry meters;

  RequestMetricsFilter(ObjectProvider<MeterRegistry> meters) {
    this.meters = meters.getIfAvailable(SimpleMeterRegistry::new);
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    return !path(request).startsWith("/v1/");
  }

  private static String path(HttpServletRequest request) {
    String info = request.getPathInfo();
    return request.getServletPath() + (info == null ? "" : info);
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    int status = 500;
    try {
      chain.doFilter(request, response);
      status = response.getStatus();
    } finally {
      String path = path(request);
      // unknown paths under one label: a scanner must not create a series per path it tries
      Counter.builder("platform.serving.requests")
          .description("requests to the OpenAI-compatible API by endpoint and status")
          .tag("endpoint", ENDPOINTS.contains(path) ? path : "other")
          .tag("status", Integer.toString(status))
          .register(meters)
          .increment();
    }
  }
}
