package io.adapterplatform.engine.format;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Optional;

/**
 * Typed reading of config fields with every type error collected: a missing required field or a value of
 * the wrong JSON type is MALFORMED; the range checks are the parsers' (INCONSISTENT).
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
        JsonElement e = get(key);
        if (e == null) {
            return fallback;
        }
        Optional<Long> v = Json.integer(e);
        if (v.isEmpty() || v.get() > Integer.MAX_VALUE || v.get() < Integer.MIN_VALUE) {
            problems.malformed("'" + key + "' must be an integer, found " + e);
            return fallback;
        }
        return (int) (long) v.get();
    }

    double requiredDouble(String key) {
        if (!has(key)) {
            problems.malformed("'" + key + "' is missing");
            return 0;
        }
        return optDouble(key, 0);
    }

    double optDouble(String key, double fallback) {
        JsonElement e = get(key);
        if (e == null) {
            return fallback;
        }
        Optional<Double> v = Json.number(e);
        if (v.isEmpty() || !Double.isFinite(v.get())) {
            problems.malformed("'" + key + "' must be a number, found " + e);
            return fallback;
        }
        return v.get();
    }

    boolean optBool(String key, boolean fallback) {
        JsonElement e = get(key);
        if (e == null) {
            return fallback;
        }
        Optional<Boolean> v = Json.bool(e);
        if (v.isEmpty()) {
            problems.malformed("'" + key + "' must be true or false, found " + e);
            return fallback;
        }
        return v.get();
    }

    String optString(String key, String fallback) {
        JsonElement e = get(key);
        if (e == null) {
            return fallback;
        }
        Optional<String> v = Json.string(e);
        if (v.isEmpty()) {
            problems.malformed("'" + key + "' must be a string, found " + e);
            return fallback;
        }
        return v.get();
    }
}
