package io.adapterplatform.registry.problem;

import io.adapterplatform.engine.format.FormatException;
import io.adapterplatform.web.problem.ApiException;
import io.adapterplatform.web.problem.ProblemType;
import io.adapterplatform.web.problem.Problems;
import java.util.List;
import org.springframework.http.HttpStatus;

/**
 * The registry's own problem types, beside the shared {@link
 * io.adapterplatform.web.problem.CommonProblem}s: together they are every {@code type} the registry
 * answers (docs/api.md lists them).
 */
public enum RegistryProblem implements ProblemType {
  MALFORMED_FILE(HttpStatus.BAD_REQUEST, "malformed-file", "Malformed file"),
  MALFORMED_MULTIPART(HttpStatus.BAD_REQUEST, "malformed-multipart"),
  VERSION_DELETED(HttpStatus.GONE, "version-deleted"),
  VERSION_IN_USE(HttpStatus.CONFLICT, "version-in-use"),
  NOT_MIXLORA(HttpStatus.CONFLICT, "not-mixlora"),
  INCONSISTENT_FILE(HttpStatus.UNPROCESSABLE_CONTENT, "inconsistent-file"),
  UNKNOWN_BASE_MODEL(HttpStatus.UNPROCESSABLE_CONTENT, "unknown-base-model"),
  UNKNOWN_SOURCE(HttpStatus.UNPROCESSABLE_CONTENT, "unknown-source"),
  BASE_MODEL_MISMATCH(HttpStatus.UNPROCESSABLE_CONTENT, "base-model-mismatch"),
  NOT_A_LORA(HttpStatus.UNPROCESSABLE_CONTENT, "not-a-lora"),
  RANGE_NOT_SATISFIABLE(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE, "range-not-satisfiable"),
  STORED_FILE_CORRUPT(
      HttpStatus.INTERNAL_SERVER_ERROR, "stored-file-corrupt", "Stored file corrupt"),
  STORAGE_UNAVAILABLE(HttpStatus.SERVICE_UNAVAILABLE, "storage-unavailable", "Storage unavailable");

  private final HttpStatus status;
  private final String slug;
  private final String title;

  RegistryProblem(HttpStatus status, String slug) {
    this(status, slug, Problems.title(status));
  }

  RegistryProblem(HttpStatus status, String slug, String title) {
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

  /** Maps the engine's format verdicts: malformed 400, too large 413, inconsistent 422. */
  public static ApiException fromFormat(FormatException e) {
    List<ApiException.FieldError> errors =
        e.problems().stream().map(p -> new ApiException.FieldError(e.file(), p)).toList();
    return switch (e.reason()) {
      case MALFORMED -> new ApiException(MALFORMED_FILE, e.getMessage(), errors);
      case TOO_LARGE -> ApiException.tooLarge(e.getMessage(), errors);
      case INCONSISTENT -> new ApiException(INCONSISTENT_FILE, e.getMessage(), errors);
    };
  }
}
