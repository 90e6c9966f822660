package io.adapterplatform.registry.problem;

import java.util.List;
import org.springframework.http.HttpStatus;

/**
 * A failure that the caller caused or must know about, answered as RFC 9457 problem+json with a stable
 * {@code type} ({@code https://adapterplatform.io/problems/<slug>}).
 */
public class ApiException extends RuntimeException {

  public record FieldError(String field, String message) {}

  private final HttpStatus status;
  private final String slug;
  private final String title;
  private final List<FieldError> errors;

  public ApiException(HttpStatus status, String slug, String title, String detail, List<FieldError> errors) {
    super(detail);
    this.status = status;
    this.slug = slug;
    this.title = title;
    this.errors = List.copyOf(errors);
  }

  public HttpStatus status() {
    return status;
  }

  public String slug() {
    return slug;
  }

  public String title() {
    return title;
  }

  public List<FieldError> errors() {
    return errors;
  }

  public static ApiException badRequest(String slug, String detail, FieldError... errors) {
    return new ApiException(HttpStatus.BAD_REQUEST, slug, "Bad request", detail, List.of(errors));
  }

  public static ApiException invalidField(String field, String message) {
    return badRequest("invalid-field", field + ": " + message, new FieldError(field, message));
  }

  public static ApiException unauthorized(String detail) {
    return new ApiException(HttpStatus.UNAUTHORIZED, "unauthorized", "Unauthorized", detail, List.of());
  }

  public static ApiException forbidden(String detail) {
    return new ApiException(HttpStatus.FORBIDDEN, "forbidden", "Forbidden", detail, List.of());
  }

  public static ApiException notFound(String what) {
    return new ApiException(HttpStatus.NOT_FOUND, "not-found", "Not found", what + " does not exist", List.of());
  }

  public static ApiException conflict(String slug, String detail) {
    return new ApiException(HttpStatus.CONFLICT, slug, "Conflict", detail, List.of());
  }

  public static ApiException gone(String detail) {
    return new ApiException(HttpStatus.GONE, "version-deleted", "Gone", detail, List.of());
  }

  public static ApiException unprocessable(String slug, String detail, List<FieldError> errors) {
    return new ApiException(HttpStatus.UNPROCESSABLE_CONTENT, slug, "Unprocessable content", detail, errors);
  }

  public static ApiException tooLarge(String detail, List<FieldError> errors) {
    return new ApiException(HttpStatus.CONTENT_TOO_LARGE, "too-large", "Content too large", detail, errors);
  }
}
