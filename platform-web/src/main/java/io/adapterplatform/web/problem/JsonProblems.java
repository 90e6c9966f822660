package io.adapterplatform.web.problem;

import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.springframework.http.converter.HttpMessageNotReadableException;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.InputCoercionException;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/**
 * Turns an unreadable JSON body into a 400 that names the JSON field ({@code roles[0]}, {@code
 * compose.experts}) and says what it must be. Jackson's and Spring's messages name Java classes and
 * method signatures, so none of their text reaches the caller.
 */
final class JsonProblems {

  private JsonProblems() {}

  static ApiException of(HttpMessageNotReadableException e) {
    for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
      if (c instanceof ApiException refused) {
        return refused; // raised by the body's stream while it was read (a size limit), wrapped by
        // Jackson
      }
    }
    Throwable cause = e.getCause();
    if (cause == null || isEmptyBody(cause)) {
      return ApiException.badRequest(
          "missing-body", "request body is missing; this operation needs a JSON object");
    }
    if (!(cause instanceof JacksonException je)) {
      return ApiException.badRequest("malformed-json", "the request body is not valid JSON");
    }
    String field = path(je);
    if (field.isEmpty()) {
      if (je instanceof MismatchedInputException mi && mi.getTargetType() != null) {
        return ApiException.badRequest(
            "malformed-json", "the request body must be " + expected(mi.getTargetType()));
      }
      String location =
          je.getLocation() == null
              ? ""
              : " (line "
                  + je.getLocation().getLineNr()
                  + ", column "
                  + je.getLocation().getColumnNr()
                  + ")";
      return ApiException.badRequest(
          "malformed-json", "the request body is not valid JSON" + location);
    }
    if (je instanceof UnrecognizedPropertyException unknown) {
      var known = new TreeSet<String>();
      unknown.getKnownPropertyIds().forEach(id -> known.add(String.valueOf(id)));
      String message = "is not a property of this object; known properties: " + known;
      return ApiException.badRequest(
          "unknown-field", field + ": " + message, new ApiException.FieldError(field, message));
    }
    String message;
    if (je instanceof InvalidFormatException inv
        && inv.getTargetType() != null
        && inv.getTargetType().isEnum()) {
      message = "must be one of " + allowed(inv.getTargetType()) + ", not '" + inv.getValue() + "'";
    } else if (je instanceof InputCoercionException) {
      message = "is out of range";
    } else if (je instanceof InvalidFormatException inv && inv.getTargetType() != null) {
      message = "must be " + expected(inv.getTargetType()) + ", not '" + inv.getValue() + "'";
    } else if (je instanceof MismatchedInputException mi && mi.getTargetType() != null) {
      message = "must be " + expected(mi.getTargetType());
    } else {
      message = "has an invalid value";
    }
    return ApiException.badRequest(
        "invalid-field", field + ": " + message, new ApiException.FieldError(field, message));
  }

  private static boolean isEmptyBody(Throwable cause) {
    return cause instanceof MismatchedInputException mi
        && mi.getPath().isEmpty()
        && mi.getOriginalMessage() != null
        && mi.getOriginalMessage().startsWith("No content to map");
  }

  /** {@code compose.experts[1]}: property names joined by dots, array indexes in brackets. */
  static String path(JacksonException e) {
    var sb = new StringBuilder();
    for (var ref : e.getPath()) {
      if (ref.getPropertyName() != null) {
        if (!sb.isEmpty()) {
          sb.append('.');
        }
        sb.append(ref.getPropertyName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  static String allowed(Class<?> type) {
    return Arrays.stream(type.getEnumConstants())
        .map(c -> ((Enum<?>) c).name())
        .collect(Collectors.joining(", ", "[", "]"));
  }

  /** What a JSON value of this Java type looks like, in JSON's words. */
  static String expected(Class<?> type) {
    if (type.isEnum()) {
      return "one of " + allowed(type);
    }
    if (CharSequence.class.isAssignableFrom(type)) {
      return "a string";
    }
    if (type == Integer.class
        || type == int.class
        || type == Long.class
        || type == long.class
        || type == Short.class
        || type == short.class
        || type == java.math.BigInteger.class) {
      return "an integer";
    }
    if (Number.class.isAssignableFrom(type) || type == double.class || type == float.class) {
      return "a number";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (type.isArray() || Collection.class.isAssignableFrom(type)) {
      return "an array";
    }
    if (Map.class.isAssignableFrom(type)
        || type.isRecord()
        || !type.getName().startsWith("java.")) {
      return "an object";
    }
    return "a valid value";
  }
}
