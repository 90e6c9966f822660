package io.adapterplatform.serving.engine;

import io.adapterplatform.web.problem.ApiException;
import java.util.List;
import org.springframework.http.HttpStatus;

/**
 * 503 that a client should retry: the server drains for shutdown, a pinned base model is still
 * loading, or every resident base model is busy. The OpenAI API answers it with {@code Retry-After}
 * ({@code platform.serving.engine.retry-after}).
 */
public final class EngineUnavailableException extends ApiException {

  EngineUnavailableException(String slug, String detail) {
    super(HttpStatus.SERVICE_UNAVAILABLE, slug, "Service unavailable", detail, List.of());
  }
}
