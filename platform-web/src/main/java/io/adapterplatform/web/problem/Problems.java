package io.adapterplatform.web.problem;

import io.micrometer.core.instrument.Metrics;
import java.util.Locale;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

/**
 * Builds problem+json bodies; shared by the advices, the auth filter and the error valve (outside
 * MVC).
 */
public final class Problems {

  public static final String TYPE_PREFIX = "https://adapterplatform.io/problems/";

  private Problems() {}

  /**
   * Every problem answer is written through here (the advice, the auth filter, the error controller
   * and Tomcat's valve), so this is where {@code registry.rejections} counts them by type slug and
   * status. The global registry, because the valve lives outside the application context; Boot adds
   * its registries to it.
   */
  public static Problem body(ApiException e, String instance) {
    Metrics.counter(
            "registry.rejections", "type", e.slug(), "status", Integer.toString(e.status().value()))
        .increment();
    return new Problem(
        TYPE_PREFIX + e.slug(),
        e.title(),
        e.status().value(),
        e.getMessage(),
        instance,
        e.errors());
  }

  public static ResponseEntity<Problem> response(ApiException e, String instance) {
    return ResponseEntity.status(e.status())
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .body(body(e, instance));
  }

  /**
   * The one title style: the status's reason phrase in sentence case ("Method not allowed"), so
   * Spring's own errors, Tomcat's and ours read alike.
   */
  public static String title(HttpStatus status) {
    String phrase = status.getReasonPhrase();
    return phrase.isEmpty()
        ? "Error"
        : phrase.charAt(0) + phrase.substring(1).toLowerCase(Locale.ROOT);
  }

  /** The type slug for a bare status: {@code method-not-allowed}. */
  public static String slug(HttpStatus status) {
    return status.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
