package io.adapterplatform.registry.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Map;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.MediaType;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Counts every request that creates stored content ({@code registry.uploads}, tagged {@code kind}
 * and {@code outcome}) by the route it reached and the status it ended with: 2xx accepted, 4xx
 * rejected, 5xx failed. Counted at the edge so that every path to a write (upload, compose, and
 * routes added later under the same patterns) is counted once, whatever the service does inside.
 */
@Configuration(proxyBeanMethods = false)
class UploadMetrics implements WebMvcConfigurer, HandlerInterceptor {

  private static final Map<String, String> KINDS =
      Map.of(
          "/api/v1/base-models", "base-model",
          "/api/v1/adapters/{name}/versions", "adapter-version",
          "/api/v1/adapters/{name}/compositions", "composition");

  private final MeterRegistry meters;

  UploadMetrics(MeterRegistry meters) {
    this.meters = meters;
  }

  @Override
  public void addInterceptors(InterceptorRegistry registry) {
    registry
        .addInterceptor(this)
        .addPathPatterns(
            "/api/v1/base-models",
            "/api/v1/adapters/*/versions",
            "/api/v1/adapters/*/compositions");
  }

  @Override
  public void afterCompletion(
      HttpServletRequest request, HttpServletResponse response, Object handler, Exception ex) {
    if (!"POST".equals(request.getMethod())) {
      return;
    }
    Object pattern = request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
    String kind = pattern == null ? null : KINDS.get(pattern.toString());
    if (kind == null) {
      return;
    }
    if (kind.equals("adapter-version") && isJson(request.getContentType())) {
      kind = "composition"; // the JSON form of publishVersion composes a MixLoRA version
    }
    int status = response.getStatus();
    String outcome = status < 400 ? "accepted" : status < 500 ? "rejected" : "failed";
    meters.counter("registry.uploads", "kind", kind, "outcome", outcome).increment();
  }

  private static boolean isJson(String contentType) {
    try {
      return contentType != null
          && MediaType.APPLICATION_JSON.isCompatibleWith(MediaType.parseMediaType(contentType));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
