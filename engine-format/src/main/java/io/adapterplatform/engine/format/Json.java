package io.adapterplatform.engine.format;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Strict JSON reading shared by the parsers of this package: UTF-8 only, RFC 8259 syntax only
 * (Gson's lenient mode would accept comments, single quotes and unquoted names), duplicate keys
 * rejected (a duplicated tensor name could hide a second range of bytes), numbers kept exact.
 */
final class Json {

  static final int MAX_NUMBER_CHARS = 100;

  private Json() {}

  /**
   * Largest {@code config.json} / {@code adapter_config.json} accepted (real ones are a few KiB).
   */
  static final int MAX_CONFIG_BYTES = 1 << 20;

  /**
   * Parses {@code bytes} as one JSON object or throws a MALFORMED {@link FormatException};
   * TOO_LARGE above {@code maxBytes}.
   */
  static JsonObject parseObject(byte[] bytes, String file, int maxBytes) {
    if (bytes.length > maxBytes) {
      throw new FormatException(
          FormatException.Reason.TOO_LARGE,
          file,
          "is " + bytes.length + " bytes, more than the limit of " + maxBytes);
    }
    return parseObject(ByteBuffer.wrap(bytes), file);
  }

  static JsonObject parseObject(ByteBuffer bytes, String file) {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(bytes)
              .toString();
    } catch (CharacterCodingException e) {
      throw new FormatException(FormatException.Reason.MALFORMED, file, "JSON is not valid UTF-8");
    }
    try {
      JsonReader reader = new JsonReader(new StringReader(text));
      reader.setStrictness(Strictness.STRICT);
      if (reader.peek() != JsonToken.BEGIN_OBJECT) {
        throw new FormatException(
            FormatException.Reason.MALFORMED,
            file,
            "JSON must be an object, found " + describe(reader.peek()));
      }
      JsonElement root = read(reader, "");
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw new FormatException(
            FormatException.Reason.MALFORMED, file, "unexpected content after the JSON object");
      }
      return root.getAsJsonObject();
    } catch (DuplicateKey e) {
      throw new FormatException(
          FormatException.Reason.MALFORMED, file, "duplicate JSON key '" + e.getMessage() + "'");
    } catch (IOException | IllegalStateException | NumberFormatException e) {
      throw new FormatException(
          FormatException.Reason.MALFORMED, file, "invalid JSON" + clean(e.getMessage()));
    }
  }

  /**
   * Gson's messages advise lenient mode and link its troubleshooting page: keep only the position.
   */
  static String clean(String message) {
    if (message == null) {
      return "";
    }
    String first = message.lines().findFirst().orElse("").strip();
    first =
        first
            .replace(
                "Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON", "")
            .strip();
    return first.isEmpty() ? "" : (first.startsWith("at ") ? " " : ": ") + first;
  }

  private static String describe(JsonToken t) {
    return t == JsonToken.END_DOCUMENT ? "nothing" : t.name().toLowerCase().replace('_', ' ');
  }

  private static JsonElement read(JsonReader r, String path) throws IOException {
    return switch (r.peek()) {
      case BEGIN_OBJECT -> {
        JsonObject o = new JsonObject();
        r.beginObject();
        while (r.hasNext()) {
          String name = r.nextName();
          if (o.has(name)) {
            throw new DuplicateKey(path.isEmpty() ? name : path + "." + name);
          }
          o.add(name, read(r, path.isEmpty() ? name : path + "." + name));
        }
        r.endObject();
        yield o;
      }
      case BEGIN_ARRAY -> {
        JsonArray a = new JsonArray();
        r.beginArray();
        while (r.hasNext()) {
          a.add(read(r, path));
        }
        r.endArray();
        yield a;
      }
      case STRING -> new JsonPrimitive(r.nextString());
      case NUMBER -> {
        String digits = r.nextString();
        // BigDecimal parsing is superlinear in the length: a megabyte-long number must not stall
        // us.
        if (digits.length() > MAX_NUMBER_CHARS) {
          throw new IOException(
              "a number of "
                  + digits.length()
                  + " characters at '"
                  + path
                  + "' is longer than "
                  + MAX_NUMBER_CHARS);
        }
        yield new JsonPrimitive(new BigDecimal(digits));
      }
      case BOOLEAN -> new JsonPrimitive(r.nextBoolean());
      case NULL -> {
        r.nextNull();
        yield JsonNull.INSTANCE;
      }
      default -> throw new IOException("unexpected " + describe(r.peek()));
    };
  }

  private static final class DuplicateKey extends RuntimeException {
    DuplicateKey(String key) {
      super(key, null, false, false);
    }
  }

  // ---- typed access with problems collected, used by the config parsers ----

  /** A non-negative or any integer value that fits a long, or empty if {@code e} is not one. */
  static Optional<Long> integer(JsonElement e) {
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      return Optional.empty();
    }
    BigDecimal d = e.getAsBigDecimal();
    try {
      return Optional.of(d.stripTrailingZeros().longValueExact());
    } catch (ArithmeticException notIntegral) {
      return Optional.empty();
    }
  }

  static Optional<Double> number(JsonElement e) {
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      return Optional.empty();
    }
    return Optional.of(e.getAsBigDecimal().doubleValue());
  }

  static Optional<String> string(JsonElement e) {
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      return Optional.empty();
    }
    return Optional.of(e.getAsString());
  }

  static Optional<Boolean> bool(JsonElement e) {
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
      return Optional.empty();
    }
    return Optional.of(e.getAsBoolean());
  }
}
