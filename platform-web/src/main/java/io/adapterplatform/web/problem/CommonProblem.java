package io.adapterplatform.web.problem;

import org.springframework.http.HttpStatus;

/**
 * The problem types of every service, written by the shared web module (bad JSON, authentication,
 * the catch-all) or by services through {@link ApiException}'s factories. Spring's and the
 * container's own errors (405, 406, 415, ...) answer with the slug of their bare status, {@link
 * Problems#slug(HttpStatus)}.
 */
public enum CommonProblem implements ProblemType {
  INVALID_FIELD(HttpStatus.BAD_REQUEST, "invalid-field"),
  MISSING_BODY(HttpStatus.BAD_REQUEST, "missing-body"),
  MALFORMED_JSON(HttpStatus.BAD_REQUEST, "malformed-json"),
  UNKNOWN_FIELD(HttpStatus.BAD_REQUEST, "unknown-field"),
  UNAUTHORIZED(HttpStatus.UNAUTHORIZED, "unauthorized"),
  FORBIDDEN(HttpStatus.FORBIDDEN, "forbidden"),
  NOT_FOUND(HttpStatus.NOT_FOUND, "not-found"),
  ALREADY_EXISTS(HttpStatus.CONFLICT, "already-exists"),
  CONCURRENT_UPDATE(HttpStatus.CONFLICT, "concurrent-update"),
  TOO_LARGE(HttpStatus.CONTENT_TOO_LARGE, "too-large"),
  INTERNAL(HttpStatus.INTERNAL_SERVER_ERROR, "internal", "Internal error"),
  AUTH_UNAVAILABLE(HttpStatus.SERVICE_UNAVAILABLE, "auth-unavailable");

  private final HttpStatus status;
  private final String slug;
  private final String title;

  CommonProblem(HttpStatus status, String slug) {
    this(status, slug, Problems.title(status));
  }

  CommonProblem(HttpStatus status, String slug, String title) {
    this.status = status;
    this.slug = slug;
    this.title = title;
  }

  @Override
  public String slug() {
    return slug;
  }

  @Override
  public HttpStatus status() {
    return status;
  }

  @Override
  public String title() {
    return title;
  }
}
