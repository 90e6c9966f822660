package io.adapterplatform.serving.openai;

import io.adapterplatform.serving.batch.QueueFullException;
import io.adapterplatform.serving.engine.EngineProperties;
import io.adapterplatform.serving.engine.EngineUnavailableException;
import io.adapterplatform.web.problem.ApiException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Problems of the OpenAI-compatible API: the platform's problem+json with OpenAI's {@code error}
 * object inside. A bad parameter or a token id outside the vocabulary is 400, a full queue 429 with
 * {@code Retry-After}, a draining server (or a base model not ready) 503 with {@code Retry-After}.
 */
@RestControllerAdvice(assignableTypes = CompletionsController.class)
@Order(Ordered.HIGHEST_PRECEDENCE)
@ConditionalOnBooleanProperty(name = "platform.serving.engine.enabled", matchIfMissing = true)
class OpenAiProblemAdvice {

  private static final Logger log = LoggerFactory.getLogger(OpenAiProblemAdvice.class);

  private final EngineProperties properties;

  OpenAiProblemAdvice(EngineProperties properties) {
    this.properties = properties;
  }

  @ExceptionHandler(ApiException.class)
  ResponseEntity<OpenAiProblem> api(ApiException e, HttpServletRequest request) {
    return respond(e, request);
  }

  @ExceptionHandler(QueueFullException.class)
  ResponseEntity<OpenAiProblem> queueFull(QueueFullException e, HttpServletRequest request) {
    var problem =
        new ApiException(
            HttpStatus.TOO_MANY_REQUESTS,
            "queue-full",
            "Too many requests",
            e.getMessage() + "; retry later",
            List.of());
    return ResponseEntity.status(HttpStatus.TOO_MANY_REQUESTS)
        .header(HttpHeaders.RETRY_AFTER, Long.toString(properties.retryAfter().toSeconds()))
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .body(OpenAiProblem.of(problem, request.getRequestURI()));
  }

  @ExceptionHandler(EngineUnavailableException.class)
  ResponseEntity<OpenAiProblem> engineUnavailable(
      EngineUnavailableException e, HttpServletRequest request) {
    return ResponseEntity.status(e.status())
        .header(HttpHeaders.RETRY_AFTER, Long.toString(properties.retryAfter().toSeconds()))
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .body(OpenAiProblem.of(e, request.getRequestURI()));
  }

  @ExceptionHandler(RejectedExecutionException.class)
  ResponseEntity<OpenAiProblem> closing(RejectedExecutionException e, HttpServletRequest request) {
    return respond(
        new ApiException(
            HttpStatus.SERVICE_UNAVAILABLE,
            "shutting-down",
            "Service unavailable",
            "the server is shutting down: " + e.getMessage(),
            List.of()),
        request);
  }

  @ExceptionHandler(IllegalArgumentException.class)
  ResponseEntity<OpenAiProblem> badParameter(
      IllegalArgumentException e, HttpServletRequest request) {
    return respond(ApiException.badRequest("invalid-request", e.getMessage()), request);
  }

  @ExceptionHandler(HttpMessageNotReadableException.class)
  ResponseEntity<OpenAiProblem> unreadable(
      HttpMessageNotReadableException e, HttpServletRequest request) {
    Throwable cause = e.getMostSpecificCause();
    String why =
        cause.getMessage() == null ? "" : cause.getMessage().lines().findFirst().orElse("");
    return respond(
        ApiException.badRequest(
            "malformed-json", "the body is not a valid completion request: " + why),
        request);
  }

  @ExceptionHandler(Exception.class)
  ResponseEntity<OpenAiProblem> unexpected(
      Exception e, HttpServletRequest request, HttpServletResponse response) throws Exception {
    if (response.isCommitted()) {
      // a stream failed half-way: a problem now would be appended to the events already sent
      throw e;
    }
    if (e instanceof ErrorResponse spring) {
      HttpStatus status = HttpStatus.resolve(spring.getStatusCode().value());
      return respond(
          new ApiException(
              status == null ? HttpStatus.BAD_REQUEST : status,
              "error",
              status == null ? "Error" : status.getReasonPhrase(),
              spring.getBody().getDetail() == null ? e.getMessage() : spring.getBody().getDetail(),
              List.of()),
          request);
    }
    log.error("completion failed on {}", request.getRequestURI(), e);
    return respond(
        new ApiException(
            HttpStatus.INTERNAL_SERVER_ERROR,
            "internal",
            "Internal server error",
            "the completion failed unexpectedly",
            List.of()),
        request);
  }

  private static ResponseEntity<OpenAiProblem> respond(ApiException e, HttpServletRequest request) {
    return ResponseEntity.status(e.status())
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .body(OpenAiProblem.of(e, request.getRequestURI()));
  }
}
