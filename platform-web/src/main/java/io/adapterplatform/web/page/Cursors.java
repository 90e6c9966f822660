package io.adapterplatform.web.page;

import io.adapterplatform.web.problem.ApiException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Opaque keyset cursors: the base64url of the last key of a page. A page continues after that key,
 * so rows inserted meanwhile never shift or repeat what a client has already seen.
 */
public final class Cursors {

  public static final int DEFAULT_LIMIT = 50;
  public static final int MAX_LIMIT = 500;

  private Cursors() {}

  public static int limit(Integer limit) {
    if (limit == null) {
      return DEFAULT_LIMIT;
    }
    if (limit < 1 || limit > MAX_LIMIT) {
      throw ApiException.invalidField("limit", "must be between 1 and " + MAX_LIMIT);
    }
    return limit;
  }

  /**
   * The cursor of the page that follows the first {@code limit} of {@code rows}, a query's answer
   * to {@code limit + 1}: the extra row only says that another page exists. Null when none does.
   */
  public static <T> @Nullable String next(List<T> rows, int limit, Function<? super T, ?> key) {
    return rows.size() > limit ? encode(key.apply(rows.get(limit - 1))) : null;
  }

  public static String encode(Object lastKey) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(("k:" + lastKey).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The key a cursor carries, or 400. Keys are names or numbers: a cursor that is not strict UTF-8
   * or holds a control character (PostgreSQL refuses NUL in text, which would surface as a 500) was
   * not made here.
   */
  public static String decode(String cursor) {
    try {
      String s =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(Base64.getUrlDecoder().decode(cursor)))
              .toString();
      if (!s.startsWith("k:") || s.chars().anyMatch(Character::isISOControl)) {
        throw new IllegalArgumentException();
      }
      return s.substring(2);
    } catch (IllegalArgumentException | CharacterCodingException e) {
      throw ApiException.invalidField("cursor", "is not a cursor returned by this API");
    }
  }

  public static long decodeLong(String cursor) {
    try {
      return Long.parseLong(decode(cursor));
    } catch (NumberFormatException e) {
      throw ApiException.invalidField("cursor", "is not a cursor returned by this API");
    }
  }
}
