package io.adapterplatform.web.problem;

import java.util.List;
import org.springframework.http.HttpStatus;

/**
 * A failure that the caller caused or must know about, answered as RFC 9457 problem+json with a
 * stable {@code type} ({@code https://adapterplatform.io/problems/<slug>}).
 */
public class ApiException extends RuntimeException {

  public record FieldError(String field, String message) {}

  private final HttpStatus status;
  private final String slug;
  private final String title;
  private final List<FieldError> errors;

  /**
   * A failure of one of the catalogued types ({@link CommonProblem}, or a service's own catalogue).
   */
  public ApiException(ProblemType type, String detail, List<FieldError> errors) {
    this(type.status(), type.slug(), type.title(), detail, errors);
  }

  public ApiException(
      HttpStatus status, String slug, String title, String detail, List<FieldError> errors) {
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
    return new ApiException(CommonProblem.UNAUTHORIZED, detail, List.of());
  }

  public static ApiException forbidden(String detail) {
    return new ApiException(CommonProblem.FORBIDDEN, detail, List.of());
  }

  public static ApiException notFound(String what) {
    return new ApiException(CommonProblem.NOT_FOUND, what + " does not exist", List.of());
  }

  public static ApiException conflict(String slug, String detail) {
    return new ApiException(HttpStatus.CONFLICT, slug, "Conflict", detail, List.of());
  }

  public static ApiException unprocessable(String slug, String detail, List<FieldError> errors) {
    return new ApiException(
        HttpStatus.UNPROCESSABLE_CONTENT, slug, "Unprocessable content", detail, errors);
  }

  public static ApiException tooLarge(String detail, List<FieldError> errors) {
    return new ApiException(CommonProblem.TOO_LARGE, detail, errors);
  }
}
