package io.adapterplatform.web.problem;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.net.URI;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
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

/**
 * Where exceptions become RFC 9457 problem+json; controllers never catch. Last in line: a service's
 * own advice (ordered before this one) maps the exceptions only that service knows, everything else
 * ends here.
 */
@RestControllerAdvice
@Order(Ordered.LOWEST_PRECEDENCE)
class ProblemAdvice {

  private static final Logger log = LoggerFactory.getLogger(ProblemAdvice.class);

  @ExceptionHandler(ApiException.class)
  ResponseEntity<Problem> api(ApiException e, HttpServletRequest request) {
    return Problems.response(e, request.getRequestURI());
  }

  @ExceptionHandler(HttpMessageNotReadableException.class)
  ResponseEntity<Problem> unreadable(
      HttpMessageNotReadableException e, HttpServletRequest request) {
    return Problems.response(JsonProblems.of(e), request.getRequestURI());
  }

  @ExceptionHandler(MethodArgumentTypeMismatchException.class)
  ResponseEntity<Problem> mismatch(
      MethodArgumentTypeMismatchException e, HttpServletRequest request) {
    // A query or path value of the wrong type: say what it must be (for an enum, every allowed
    // value).
    Class<?> type = e.getRequiredType();
    String expected = type == null ? "a valid value" : JsonProblems.expected(type);
    return Problems.response(
        ApiException.invalidField(
            e.getName(), "must be " + expected + ", not '" + e.getValue() + "'"),
        request.getRequestURI());
  }

  @ExceptionHandler(MissingServletRequestParameterException.class)
  ResponseEntity<Problem> missing(
      MissingServletRequestParameterException e, HttpServletRequest request) {
    return Problems.response(
        ApiException.invalidField(e.getParameterName(), "is required"), request.getRequestURI());
  }

  @ExceptionHandler(org.springframework.dao.DuplicateKeyException.class)
  ResponseEntity<Problem> duplicate(Exception e, HttpServletRequest request) {
    return Problems.response(
        CommonProblem.ALREADY_EXISTS.exception("a resource with this name already exists"),
        request.getRequestURI());
  }

  @ExceptionHandler(OptimisticLockingFailureException.class)
  ResponseEntity<Problem> optimistic(
      OptimisticLockingFailureException e, HttpServletRequest request) {
    return Problems.response(
        CommonProblem.CONCURRENT_UPDATE.exception(
            "another request changed this resource at the same time; retry"),
        request.getRequestURI());
  }

  /** Spring's own web exceptions (405, 406, 415, 404 for unmapped paths...) keep their status. */
  private ResponseEntity<Problem> spring(Exception e, HttpServletRequest request) {
    HttpStatusCode code = ((ErrorResponse) e).getStatusCode();
    HttpStatus status = HttpStatus.resolve(code.value());
    String slug = status == null ? "error" : Problems.slug(status);
    String detail = ((ErrorResponse) e).getBody().getDetail();
    var mapped =
        new ApiException(
            status == null ? HttpStatus.BAD_REQUEST : status,
            slug,
            status == null ? "Error" : Problems.title(status),
            detail == null ? e.getMessage() : detail,
            List.of());
    return Problems.response(mapped, request.getRequestURI());
  }

  @ExceptionHandler(Exception.class)
  ResponseEntity<Problem> unexpected(
      Exception e, HttpServletRequest request, HttpServletResponse response) throws Exception {
    if (response.isCommitted()) {
      // A streamed body failed half-way (the object store, the client's connection): a problem
      // written now
      // would be appended to the bytes already sent, so the container aborts the connection (and
      // logs it).
      throw e;
    }
    if (e instanceof ErrorResponse) {
      return spring(e, request);
    }
    log.error("unexpected failure on {} {}", request.getMethod(), request.getRequestURI(), e);
    var mapped =
        new ApiException(
            CommonProblem.INTERNAL,
            "the service failed unexpectedly; nothing was changed",
            List.of());
    return Problems.response(mapped, request.getRequestURI());
  }

  static MediaType problemJson() {
    return MediaType.APPLICATION_PROBLEM_JSON;
  }

  static URI type(String slug) {
    return URI.create(Problems.TYPE_PREFIX + slug);
  }
}
