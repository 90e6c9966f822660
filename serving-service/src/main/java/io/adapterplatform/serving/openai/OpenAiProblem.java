package io.adapterplatform.serving.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.adapterplatform.web.problem.ApiException;
import io.adapterplatform.web.problem.Problem;
import io.adapterplatform.web.problem.Problems;
import java.util.List;
import org.springframework.http.HttpStatus;

/**
 * An RFC 9457 problem with OpenAI's {@code error} object added, so that OpenAI clients (which read
 * {@code error.message}) show the same explanation as problem-aware ones.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record OpenAiProblem(
    String type,
    String title,
    int status,
    String detail,
    String instance,
    List<ApiException.FieldError> errors,
    Error error) {

  /**
   * @param type OpenAI's error class ({@code invalid_request_error}, {@code authentication_error},
   *     ...)
   * @param code the problem's slug ({@code not-found}, {@code invalid-field}, ...)
   * @param param the field at fault, when one is
   */
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record Error(String message, String type, String code, String param) {}

  static OpenAiProblem of(ApiException e, String instance) {
    Problem p = Problems.body(e, instance);
    String param = e.errors().isEmpty() ? null : e.errors().getFirst().field();
    return new OpenAiProblem(
        p.type(),
        p.title(),
        p.status(),
        p.detail(),
        p.instance(),
        p.errors(),
        new Error(p.detail(), openAiType(e.status()), e.slug(), param));
  }

  private static String openAiType(HttpStatus status) {
    return switch (status) {
      case UNAUTHORIZED -> "authentication_error";
      case FORBIDDEN -> "permission_error";
      case NOT_FOUND -> "not_found_error";
      case TOO_MANY_REQUESTS -> "rate_limit_error";
      default -> status.is4xxClientError() ? "invalid_request_error" : "server_error";
    };
  }
}
