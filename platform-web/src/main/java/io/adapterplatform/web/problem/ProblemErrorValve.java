package io.adapterplatform.web.problem;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.http.HttpStatus;
import tools.jackson.databind.json.JsonMapper;

/**
 * Replaces Tomcat's HTML error page for requests that Tomcat itself rejects before Spring MVC sees
 * them (undecodable or encoded-slash paths, NUL bytes, oversized headers): those get problem+json
 * too. Tomcat instantiates it by class name, hence public with a no-argument constructor.
 */
public class ProblemErrorValve extends ErrorReportValve {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Override
  protected void report(Request request, Response response, Throwable throwable) {
    int code = response.getStatus();
    if (code < 400 || response.isCommitted() || response.getContentWritten() > 0) {
      return;
    }
    HttpStatus status = HttpStatus.resolve(code);
    if (status == null) {
      status = code >= 500 ? HttpStatus.INTERNAL_SERVER_ERROR : HttpStatus.BAD_REQUEST;
    }
    String detail =
        status == HttpStatus.BAD_REQUEST
            ? "the request was rejected before reaching the API: its path, encoding or headers are malformed or too large"
            : status.is5xxServerError()
                ? "the server failed to process the request"
                : "the request was rejected";
    var problem =
        new ApiException(status, Problems.slug(status), Problems.title(status), detail, List.of());
    String uri = request.getDecodedRequestURI();
    try {
      byte[] body = JSON.writeValueAsBytes(Problems.body(problem, uri == null ? null : safe(uri)));
      response.setContentType("application/problem+json");
      response.setCharacterEncoding(StandardCharsets.UTF_8.name());
      response.setContentLength(body.length);
      response.getOutputStream().write(body);
      response.finishResponse();
    } catch (IOException | IllegalStateException e) {
      // The connection is gone or the response cannot take a body; nothing more to tell the client.
    }
  }

  /**
   * The instance echoes the path only when it is printable; a rejected path may hold control
   * characters.
   */
  private static String safe(String uri) {
    return uri.chars().allMatch(c -> c >= 0x20 && c != 0x7f) ? uri : null;
  }
}
