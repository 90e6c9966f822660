package io.adapterplatform.registry.problem;

import io.adapterplatform.engine.format.FormatException;
import io.adapterplatform.registry.storage.BlobStore;
import io.adapterplatform.registry.storage.Downloads;
import io.adapterplatform.web.problem.ApiException;
import io.adapterplatform.web.problem.Problem;
import io.adapterplatform.web.problem.Problems;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.List;
import org.apache.commons.fileupload2.core.FileUploadByteCountLimitException;
import org.apache.commons.fileupload2.core.FileUploadException;
import org.apache.commons.fileupload2.core.FileUploadSizeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * The exceptions only the registry raises (format verdicts, multipart, object store, corrupt
 * blobs); asked before the shared web module's advice, which maps everything else.
 */
@RestControllerAdvice(basePackages = "io.adapterplatform.registry")
@Order(Ordered.HIGHEST_PRECEDENCE)
class RegistryProblemAdvice {

  private static final Logger log = LoggerFactory.getLogger(RegistryProblemAdvice.class);

  @ExceptionHandler(FormatException.class)
  ResponseEntity<Problem> format(FormatException e, HttpServletRequest request) {
    return Problems.response(RegistryProblem.fromFormat(e), request.getRequestURI());
  }

  @ExceptionHandler(FileUploadException.class)
  ResponseEntity<Problem> upload(FileUploadException e, HttpServletRequest request) {
    ApiException mapped =
        e instanceof FileUploadByteCountLimitException || e instanceof FileUploadSizeException
            ? ApiException.tooLarge(e.getMessage(), List.of())
            : RegistryProblem.MALFORMED_MULTIPART.exception(
                "malformed multipart body: " + e.getMessage());
    return Problems.response(mapped, request.getRequestURI());
  }

  @ExceptionHandler(BlobStore.StorageException.class)
  ResponseEntity<Problem> storage(
      BlobStore.StorageException e, HttpServletRequest request, HttpServletResponse response)
      throws BlobStore.StorageException {
    if (response.isCommitted()) {
      throw e; // a streamed body failed half-way: the container aborts the connection
    }
    log.error("object store failure on {} {}", request.getMethod(), request.getRequestURI(), e);
    return Problems.response(
        RegistryProblem.STORAGE_UNAVAILABLE.exception(
            "the object store failed; nothing was committed, retry later"),
        request.getRequestURI());
  }

  /**
   * A download whose stored bytes failed verification. While nothing has been sent, the file's
   * headers (Content-Length, Content-Range, ETag) are dropped and a 500 problem answers; once part
   * of the body is on the wire under the file's Content-Length nothing truthful can follow, so the
   * exception goes on to the container, which aborts the connection: the client sees a truncated
   * transfer, never a complete-looking file.
   */
  @ExceptionHandler(Downloads.CorruptBlobException.class)
  ResponseEntity<Problem> corrupt(
      Downloads.CorruptBlobException e, HttpServletRequest request, HttpServletResponse response)
      throws Downloads.CorruptBlobException {
    if (response.isCommitted()) {
      throw e;
    }
    response.reset();
    return Problems.response(
        RegistryProblem.STORED_FILE_CORRUPT.exception(e.getMessage()), request.getRequestURI());
  }
}
