package io.adapterplatform.engine.format;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Optional;
import java.util.function.Function;

/**
 * Typed reading of config fields with every type error collected: a missing required field or a
 * value of the wrong JSON type is MALFORMED; the range checks are the parsers' (INCONSISTENT).
 */
final class Fields {

  private final JsonObject json;
  private final Problems problems;

  Fields(JsonObject json, Problems problems) {
    this.json = json;
    this.problems = problems;
  }

  JsonElement get(String key) {
    JsonElement e = json.get(key);
    return e == null || e.isJsonNull() ? null : e;
  }

  boolean has(String key) {
    return get(key) != null;
  }

  int requiredInt(String key) {
    if (!has(key)) {
      problems.malformed("'" + key + "' is missing");
      return 0;
    }
    return optInt(key, 0);
  }

  int optInt(String key, int fallback) {
    return opt(
        key,
        fallback,
        "an integer",
        e ->
            Json.integer(e)
                .filter(v -> v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE)
                .map(Long::intValue));
  }

  double requiredDouble(String key) {
    if (!has(key)) {
      problems.malformed("'" + key + "' is missing");
      return 0;
    }
    return optDouble(key, 0);
  }

  double optDouble(String key, double fallback) {
    return opt(key, fallback, "a number", e -> Json.number(e).filter(Double::isFinite));
  }

  boolean optBool(String key, boolean fallback) {
    return opt(key, fallback, "true or false", Json::bool);
  }

  String optString(String key, String fallback) {
    return opt(key, fallback, "a string", Json::string);
  }

  /**
   * The value of {@code key} read by {@code reader}; absent → fallback; unreadable → a problem and
   * fallback.
   */
  private <T> T opt(
      String key, T fallback, String expected, Function<JsonElement, Optional<T>> reader) {
    JsonElement e = get(key);
    if (e == null) {
      return fallback;
    }
    Optional<T> v = reader.apply(e);
    if (v.isEmpty()) {
      problems.malformed("'" + key + "' must be " + expected + ", found " + e);
      return fallback;
    }
    return v.get();
  }
}
