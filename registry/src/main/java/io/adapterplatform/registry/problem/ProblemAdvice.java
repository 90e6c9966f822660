package io.adapterplatform.registry.problem;

import io.adapterplatform.engine.format.FormatException;
import io.adapterplatform.registry.storage.BlobStore;
import io.adapterplatform.registry.storage.Downloads;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.net.URI;
import java.util.List;
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
  ResponseEntity<Problem> api(ApiException e, HttpServletRequest request) {
    return Problems.response(e, request.getRequestURI());
  }

  @ExceptionHandler(FormatException.class)
  ResponseEntity<Problem> format(FormatException e, HttpServletRequest request) {
    return Problems.response(Problems.fromFormat(e), request.getRequestURI());
  }

  @ExceptionHandler(FileUploadException.class)
  ResponseEntity<Problem> upload(FileUploadException e, HttpServletRequest request) {
    ApiException mapped = e instanceof FileUploadByteCountLimitException || e instanceof FileUploadSizeException
        ? ApiException.tooLarge(e.getMessage(), List.of())
        : ApiException.badRequest("malformed-multipart", "malformed multipart body: " + e.getMessage());
    return Problems.response(mapped, request.getRequestURI());
  }

  @ExceptionHandler(HttpMessageNotReadableException.class)
  ResponseEntity<Problem> unreadable(HttpMessageNotReadableException e, HttpServletRequest request) {
    return Problems.response(JsonProblems.of(e), request.getRequestURI());
  }

  @ExceptionHandler(MethodArgumentTypeMismatchException.class)
  ResponseEntity<Problem> mismatch(MethodArgumentTypeMismatchException e, HttpServletRequest request) {
    // A query or path value of the wrong type: say what it must be (for an enum, every allowed value).
    Class<?> type = e.getRequiredType();
    String expected = type == null ? "a valid value" : JsonProblems.expected(type);
    return Problems.response(ApiException.invalidField(e.getName(), "must be " + expected + ", not '" + e.getValue() + "'"),
        request.getRequestURI());
  }

  @ExceptionHandler(MissingServletRequestParameterException.class)
  ResponseEntity<Problem> missing(MissingServletRequestParameterException e, HttpServletRequest request) {
    return Problems.response(ApiException.invalidField(e.getParameterName(), "is required"), request.getRequestURI());
  }

  @ExceptionHandler(org.springframework.dao.DuplicateKeyException.class)
  ResponseEntity<Problem> duplicate(Exception e, HttpServletRequest request) {
    return Problems.response(ApiException.conflict("already-exists", "a resource with this name already exists"),
        request.getRequestURI());
  }

  @ExceptionHandler(OptimisticLockingFailureException.class)
  ResponseEntity<Problem> optimistic(OptimisticLockingFailureException e, HttpServletRequest request) {
    return Problems.response(ApiException.conflict("concurrent-update",
        "another request changed this resource at the same time; retry"), request.getRequestURI());
  }

  /**
   * A download whose stored bytes failed verification. While nothing has been sent, the file's headers
   * (Content-Length, Content-Range, ETag) are dropped and a 500 problem answers; once part of the body is on
   * the wire under the file's Content-Length nothing truthful can follow, so the exception goes on to the
   * container, which aborts the connection: the client sees a truncated transfer, never a complete-looking file.
   */
  @ExceptionHandler(Downloads.CorruptBlobException.class)
  ResponseEntity<Problem> corrupt(Downloads.CorruptBlobException e, HttpServletRequest request,
      HttpServletResponse response) throws Downloads.CorruptBlobException {
    if (response.isCommitted()) {
      throw e;
    }
    response.reset();
    return Problems.response(new ApiException(HttpStatus.INTERNAL_SERVER_ERROR, "stored-file-corrupt",
        "Stored file corrupt", e.getMessage(), List.of()), request.getRequestURI());
  }

  /** Spring's own web exceptions (405, 406, 415, 404 for unmapped paths...) keep their status. */
  private ResponseEntity<Problem> spring(Exception e, HttpServletRequest request) {
    HttpStatusCode code = ((ErrorResponse) e).getStatusCode();
    HttpStatus status = HttpStatus.resolve(code.value());
    String slug = status == null ? "error" : Problems.slug(status);
    String detail = ((ErrorResponse) e).getBody().getDetail();
    var mapped = new ApiException(status == null ? HttpStatus.BAD_REQUEST : status, slug,
        status == null ? "Error" : Problems.title(status), detail == null ? e.getMessage() : detail, List.of());
    return Problems.response(mapped, request.getRequestURI());
  }

  @ExceptionHandler(Exception.class)
  ResponseEntity<Problem> unexpected(Exception e, HttpServletRequest request, HttpServletResponse response)
      throws Exception {
    if (response.isCommitted()) {
      // A streamed body failed half-way (the object store, the client's connection): a problem written now
      // would be appended to the bytes already sent, so the container aborts the connection (and logs it).
      throw e;
    }
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
