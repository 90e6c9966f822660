package io.adapterplatform.web.idempotency;

import io.adapterplatform.web.problem.ApiException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ResponseEntity;

/**
 * A request's {@code Idempotency-Key}, and what every service that honours one answers alike: 400
 * for a malformed key, 422 {@code idempotency-key-reused} for a key used before with another
 * request, and the first answer again with {@code Idempotent-Replayed: true}. Where keys are kept
 * and when a retry waits or is refused stays with each service (the registry claims a key before it
 * acts; training records it in the transaction that stores the job).
 *
 * @param value 1 to 255 visible ASCII characters (otherwise a 400 naming the header)
 */
public record IdempotencyKey(String value) {

  public static final String HEADER = "Idempotency-Key";
  public static final String REPLAYED_HEADER = "Idempotent-Replayed";
  public static final int MAX_LENGTH = 255;

  private static final Pattern VISIBLE_ASCII =
      Pattern.compile("^[\\x21-\\x7e]{1," + MAX_LENGTH + "}$");

  public IdempotencyKey {
    if (value == null || !VISIBLE_ASCII.matcher(value).matches()) {
      throw ApiException.invalidField(
          HEADER, "must be 1 to " + MAX_LENGTH + " visible ASCII characters");
    }
  }

  /** The key of a request's {@code Idempotency-Key} header; null when it sent none. */
  public static @Nullable IdempotencyKey fromHeader(@Nullable String header) {
    return header == null ? null : new IdempotencyKey(header);
  }

  /** The 422 for this key sent again with a request other than the one it was first used for. */
  public ApiException reusedForAnotherRequest() {
    return ApiException.unprocessable(
        "idempotency-key-reused",
        "the Idempotency-Key '"
            + value
            + "' was used for a different request; use a new key for a new request",
        List.of(new ApiException.FieldError(HEADER, "used before with a different request")));
  }

  /**
   * The hex sha256 of what identifies a request (e.g. its path and canonical JSON): stored with the
   * key and compared on a retry.
   */
  public static String digest(String request) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256")
                  .digest(request.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** The stored first answer given again, marked {@code Idempotent-Replayed: true}. */
  public static <T> ResponseEntity<T> replayed(
      HttpStatusCode status, @Nullable String location, @Nullable T body) {
    var response = ResponseEntity.status(status).header(REPLAYED_HEADER, "true");
    if (location != null) {
      response.header(HttpHeaders.LOCATION, location);
    }
    return response.body(body);
  }
}
