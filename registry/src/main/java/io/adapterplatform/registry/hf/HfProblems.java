package io.adapterplatform.registry.hf;

import io.adapterplatform.web.problem.ApiException;
import io.adapterplatform.web.problem.Problem;
import io.adapterplatform.web.problem.Problems;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Problems of the {@code /hf} routes carry the headers Hugging Face's clients read: {@code
 * X-Error-Code} (RepoNotFound, RevisionNotFound, EntryNotFound) and {@code X-Error-Message}.
 * Everything else about them is the registry's usual problem+json; exceptions other than
 * ApiException go on to the registry's advice.
 */
@RestControllerAdvice(assignableTypes = HfController.class)
@Order(Ordered.HIGHEST_PRECEDENCE)
class HfProblems {

  @ExceptionHandler(ApiException.class)
  ResponseEntity<Problem> problem(ApiException e, HttpServletRequest request) {
    var response =
        ResponseEntity.status(e.status()).contentType(MediaType.APPLICATION_PROBLEM_JSON);
    if (e instanceof HfException hf) {
      response.header("X-Error-Code", hf.errorCode());
      hf.headers().forEach(response::header);
    }
    // Header values must stay one printable ASCII line: the detail quotes names that passed the
    // name rules.
    response.header("X-Error-Message", e.getMessage().replaceAll("[^\\x20-\\x7e]", "?"));
    return response.body(Problems.body(e, request.getRequestURI()));
  }
}
