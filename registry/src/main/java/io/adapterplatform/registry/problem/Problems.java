package io.adapterplatform.registry.problem;

import io.adapterplatform.engine.format.FormatException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

/** Builds problem+json bodies; shared by the advice and by the auth filter (which runs outside MVC). */
public final class Problems {

  public static final String TYPE_PREFIX = "https://adapterplatform.io/problems/";

  private Problems() {}

  public static Map<String, Object> body(ApiException e, String instance) {
    var body = new LinkedHashMap<String, Object>();
    body.put("type", TYPE_PREFIX + e.slug());
    body.put("title", e.title());
    body.put("status", e.status().value());
    body.put("detail", e.getMessage());
    body.put("instance", instance);
    var errors = new ArrayList<Map<String, String>>();
    for (var fe : e.errors()) {
      errors.add(Map.of("field", fe.field(), "message", fe.message()));
    }
    body.put("errors", errors);
    return body;
  }

  static ResponseEntity<Map<String, Object>> response(ApiException e, String instance) {
    return ResponseEntity.status(e.status()).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(body(e, instance));
  }

  /**
   * The one title style: the status's reason phrase in sentence case ("Method not allowed"), so Spring's own
   * errors, Tomcat's and ours read alike.
   */
  public static String title(HttpStatus status) {
    String phrase = status.getReasonPhrase();
    return phrase.isEmpty() ? "Error" : phrase.charAt(0) + phrase.substring(1).toLowerCase(Locale.ROOT);
  }

  /** The type slug for a bare status: {@code method-not-allowed}. */
  public static String slug(HttpStatus status) {
    return status.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Maps the engine's format verdicts: malformed 400, too large 413, inconsistent 422. */
  public static ApiException fromFormat(FormatException e) {
    List<ApiException.FieldError> errors = e.problems().stream()
        .map(p -> new ApiException.FieldError(e.file(), p)).toList();
    return switch (e.reason()) {
      case MALFORMED -> new ApiException(HttpStatus.BAD_REQUEST, "malformed-file", "Malformed file", e.getMessage(), errors);
      case TOO_LARGE -> ApiException.tooLarge(e.getMessage(), errors);
      case INCONSISTENT -> ApiException.unprocessable("inconsistent-file", e.getMessage(), errors);
    };
  }
}
