package io.adapterplatform.registry.problem;

import io.adapterplatform.engine.format.FormatException;
import io.adapterplatform.registry.storage.BlobStore;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.apache.commons.fileupload2.core.FileUploadByteCountLimitException;
import org.apache.commons.fileupload2.core.FileUploadException;
import org.apache.commons.fileupload2.core.FileUploadSizeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.OptimisticLockingFailureException;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;

/** The one place where exceptions become RFC 9457 problem+json; controllers never catch. */
@RestControllerAdvice
class ProblemAdvice {

  private static final Logger log = LoggerFactory.getLogger(ProblemAdvice.class);

  @ExceptionHandler(ApiException.class)
  ResponseEntity<Map<String, Object>> api(ApiException e, HttpServletRequest request) {
    return Problems.response(e, request.getRequestURI());
  }

  @ExceptionHandler(FormatException.class)
  ResponseEntity<Map<String, Object>> format(FormatException e, HttpServletRequest request) {
    return Problems.response(Problems.fromFormat(e), request.getRequestURI());
  }

  @ExceptionHandler(FileUploadException.class)
  ResponseEntity<Map<String, Object>> upload(FileUploadException e, HttpServletRequest request) {
    ApiException mapped = e instanceof FileUploadByteCountLimitException || e instanceof FileUploadSizeException
        ? ApiException.tooLarge(e.getMessage(), List.of())
        : ApiException.badRequest("malformed-multipart", "malformed multipart body: " + e.getMessage());
    return Problems.response(mapped, request.getRequestURI());
  }

  @ExceptionHandler(HttpMessageNotReadableException.class)
  ResponseEntity<Map<String, Object>> unreadable(HttpMessageNotReadableException e, HttpServletRequest request) {
    return Problems.response(JsonProblems.of(e), request.getRequestURI());
  }

  @ExceptionHandler(MethodArgumentTypeMismatchException.class)
  ResponseEntity<Map<String, Object>> mismatch(MethodArgumentTypeMismatchException e, HttpServletRequest request) {
    return Problems.response(ApiException.invalidField(e.getName(), "has an invalid value '" + e.getValue() + "'"),
        request.getRequestURI());
  }

  @ExceptionHandler(MissingServletRequestParameterException.class)
  ResponseEntity<Map<String, Object>> missing(MissingServletRequestParameterException e, HttpServletRequest request) {
    return Problems.response(ApiException.invalidField(e.getParameterName(), "is required"), request.getRequestURI());
  }

  @ExceptionHandler(org.springframework.dao.DuplicateKeyException.class)
  ResponseEntity<Map<String, Object>> duplicate(Exception e, HttpServletRequest request) {
    return Problems.response(ApiException.conflict("already-exists", "a resource with this name already exists"),
        request.getRequestURI());
  }

  @ExceptionHandler(OptimisticLockingFailureException.class)
  ResponseEntity<Map<String, Object>> optimistic(OptimisticLockingFailureException e, HttpServletRequest request) {
    return Problems.response(ApiException.conflict("concurrent-update",
        "another request changed this resource at the same time; retry"), request.getRequestURI());
  }

  /** Spring's own web exceptions (405, 406, 415, 404 for unmapped paths...) keep their status. */
  private ResponseEntity<Map<String, Object>> spring(Exception e, HttpServletRequest request) {
    HttpStatusCode code = ((ErrorResponse) e).getStatusCode();
    HttpStatus status = HttpStatus.resolve(code.value());
    String slug = status == null ? "error" : Problems.slug(status);
    String detail = ((ErrorResponse) e).getBody().getDetail();
    var mapped = new ApiException(status == null ? HttpStatus.BAD_REQUEST : status, slug,
        status == null ? "Error" : Problems.title(status), detail == null ? e.getMessage() : detail, List.of());
    return Problems.response(mapped, request.getRequestURI());
  }

  @ExceptionHandler(Exception.class)
  ResponseEntity<Map<String, Object>> unexpected(Exception e, HttpServletRequest request) {
    if (e instanceof ErrorResponse) {
      return spring(e, request);
    }
    if (e instanceof BlobStore.StorageException) {
      log.error("object store failure on {} {}", request.getMethod(), request.getRequestURI(), e);
      return Problems.response(new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "storage-unavailable",
          "Storage unavailable", "the object store failed; nothing was committed, retry later", List.of()),
          request.getRequestURI());
    }
    log.error("unexpected failure on {} {}", request.getMethod(), request.getRequestURI(), e);
    var mapped = new ApiException(HttpStatus.INTERNAL_SERVER_ERROR, "internal", "Internal error",
        "the registry failed unexpectedly; nothing was changed", List.of());
    return Problems.response(mapped, request.getRequestURI());
  }

  static MediaType problemJson() {
    return MediaType.APPLICATION_PROBLEM_JSON;
  }

  static URI type(String slug) {
    return URI.create(Problems.TYPE_PREFIX + slug);
  }
}
