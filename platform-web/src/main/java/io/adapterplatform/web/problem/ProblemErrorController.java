package io.adapterplatform.web.problem;

import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.List;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The container's error page ({@code /error}): errors raised outside Spring MVC's handlers (by a
 * filter, or a {@code sendError} of the container) answer problem+json like every other error, not
 * Spring Boot's default body. Hidden: it is the container's page, not an operation of the contract.
 */
@Hidden
@RestController
class ProblemErrorController implements ErrorController {

  @RequestMapping("/error")
  ResponseEntity<Problem> error(HttpServletRequest request, HttpServletResponse response) {
    if (response.isCommitted()) {
      return null; // a body failed half-way (an aborted download): nothing can be added to what was
      // sent
    }
    Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
    HttpStatus status = code instanceof Integer i ? HttpStatus.resolve(i) : null;
    if (status == null || status.value() < 400) {
      status = HttpStatus.INTERNAL_SERVER_ERROR;
    }
    String detail =
        status.is5xxServerError()
            ? "the server failed to process the request; nothing was changed"
            : status == HttpStatus.NOT_FOUND
                ? "no resource at this path"
                : status == HttpStatus.BAD_REQUEST
                    ? "the request is malformed"
                    : "the request was rejected";
    Object uri = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
    var problem =
        new ApiException(status, Problems.slug(status), Problems.title(status), detail, List.of());
    return Problems.response(problem, uri == null ? request.getRequestURI() : uri.toString());
  }
}
