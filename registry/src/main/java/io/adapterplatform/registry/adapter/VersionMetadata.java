package io.adapterplatform.registry.adapter;

import io.adapterplatform.web.problem.ApiException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.type.LogicalType;

/**
 * The metadata of a version (description, tags, lineage): its limits, which the contract repeats as
 * schema keywords, and the checks that turn what a client sent into values that are safe to store.
 * Public because the mixlora feature publishes composed versions with the same metadata.
 */
public final class VersionMetadata {

  public static final int MAX_NAME = 200;
  public static final int MAX_DESCRIPTION = 4096;
  public static final int MAX_TAGS = 64;
  public static final int MAX_TAG_VALUE = 256;

  /** Entries of {@code hyperparameters} and of {@code metrics}, each. */
  public static final int MAX_ENTRIES = 256;

  /** The multipart {@code metadata} part, and the stored lineage JSON. */
  public static final int MAX_BYTES = 64 * 1024;

  /** Tag filters in one list request. */
  public static final int MAX_TAG_FILTERS = 16;

  public static final String SHA256 = "^[0-9a-f]{64}$";

  /** No ':' in a key, so that {@code ?tag=key:value} splits at the first colon. */
  public static final String TAG_KEY = "^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$";

  private static final Pattern TAG_KEY_PATTERN = Pattern.compile(TAG_KEY);
  private static final Pattern SHA256_PATTERN = Pattern.compile(SHA256);

  /**
   * Strict like the registry's JSON bodies: unknown properties and numbers posing as strings are
   * errors.
   */
  static final JsonMapper JSON =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .withCoercionConfig(
              LogicalType.Textual,
              cfg ->
                  cfg.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                      .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                      .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
          .build();

  /** Metadata that passed every check; {@code lineageJson} is what the version stores. */
  public record Checked(
      @Nullable String description, Map<String, String> tags, @Nullable String lineageJson) {

    public static final Checked NONE = new Checked(null, Map.of(), null);
  }

  private VersionMetadata() {}

  /**
   * Reads the multipart {@code metadata} part (a JSON object, {@link Adapters.PublishMetadata}).
   */
  static Checked parsePart(String json) {
    if (json.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      throw ApiException.tooLarge(
          "metadata is larger than " + MAX_BYTES + " bytes",
          java.util.List.of(
              new ApiException.FieldError("metadata", "larger than " + MAX_BYTES + " bytes")));
    }
    Adapters.PublishMetadata m;
    try {
      m = JSON.readValue(json, Adapters.PublishMetadata.class);
    } catch (JacksonException e) {
      String at = e.getPath().isEmpty() ? "metadata" : "metadata" + pathOf(e);
      throw ApiException.invalidField(
          at, "is not valid here: " + e.getOriginalMessage().lines().findFirst().orElse(""));
    }
    if (m == null) {
      throw ApiException.invalidField("metadata", "must be a JSON object");
    }
    return check(m, "metadata.");
  }

  private static String pathOf(JacksonException e) {
    var sb = new StringBuilder();
    for (var ref : e.getPath()) {
      if (ref.getPropertyName() != null) {
        sb.append('.').append(ref.getPropertyName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  /**
   * Checks metadata given at publish; {@code prefix} names where it sat in the request ("metadata."
   * or "").
   */
  public static Checked check(Adapters.@Nullable PublishMetadata m, String prefix) {
    if (m == null) {
      return Checked.NONE;
    }
    String description = description(m.description(), prefix + "description");
    var tags = new TreeMap<String, String>();
    if (m.tags() != null) {
      m.tags()
          .forEach(
              (k, v) -> tags.put(tagKey(k, prefix + "tags"), tagValue(v, prefix + "tags." + k)));
      tagCount(tags.size(), prefix + "tags");
    }
    String lineage = m.lineage() == null ? null : lineage(m.lineage(), prefix + "lineage");
    return new Checked(description, tags, lineage);
  }

  static @Nullable String description(@Nullable String description, String field) {
    if (description != null && description.length() > MAX_DESCRIPTION) {
      throw ApiException.invalidField(field, "is longer than " + MAX_DESCRIPTION + " characters");
    }
    return description;
  }

  static String tagKey(String key, String field) {
    if (key == null || !TAG_KEY_PATTERN.matcher(key).matches()) {
      throw ApiException.invalidField(field + "." + key, "tag keys must match " + TAG_KEY);
    }
    return key;
  }

  static String tagValue(String value, String field) {
    if (value == null) {
      throw ApiException.invalidField(
          field, "tag values are strings (null removes a tag only in a patch)");
    }
    if (value.length() > MAX_TAG_VALUE) {
      throw ApiException.invalidField(
          field, "tag values are at most " + MAX_TAG_VALUE + " characters");
    }
    return value;
  }

  static void tagCount(int count, String field) {
    if (count > MAX_TAGS) {
      throw ApiException.invalidField(
          field, "a version has at most " + MAX_TAGS + " tags, not " + count);
    }
  }

  private static String lineage(Adapters.Lineage l, String field) {
    name(l.job(), field + ".job", false);
    if (l.dataset() != null) {
      name(l.dataset().name(), field + ".dataset.name", true);
      if (l.dataset().version() != null && l.dataset().version() < 1) {
        throw ApiException.invalidField(field + ".dataset.version", "must be a positive integer");
      }
      sha256(l.dataset().sha256(), field + ".dataset.sha256");
    }
    if (l.baseModel() != null) {
      name(l.baseModel().name(), field + ".baseModel.name", true);
      sha256(l.baseModel().sha256(), field + ".baseModel.sha256");
    }
    entries(l.hyperparameters(), field + ".hyperparameters");
    entries(l.metrics(), field + ".metrics");
    String json = JSON.writeValueAsString(l);
    if (json.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      throw ApiException.tooLarge(
          field + " is larger than " + MAX_BYTES + " bytes as JSON",
          java.util.List.of(
              new ApiException.FieldError(field, "larger than " + MAX_BYTES + " bytes")));
    }
    return json;
  }

  private static void name(@Nullable String value, String field, boolean required) {
    if (value == null) {
      if (required) {
        throw ApiException.invalidField(field, "is required");
      }
      return;
    }
    if (value.isBlank() || value.length() > MAX_NAME) {
      throw ApiException.invalidField(field, "must be 1 to " + MAX_NAME + " characters");
    }
  }

  private static void sha256(@Nullable String value, String field) {
    if (value != null && !SHA256_PATTERN.matcher(value).matches()) {
      throw ApiException.invalidField(field, "must be 64 lowercase hexadecimal digits");
    }
  }

  private static void entries(@Nullable Map<String, Object> map, String field) {
    if (map != null && map.size() > MAX_ENTRIES) {
      throw ApiException.invalidField(field, "has more than " + MAX_ENTRIES + " entries");
    }
  }

  /** The stored lineage as the API shows it. */
  static Adapters.@Nullable Lineage lineageOf(@Nullable String json) {
    return json == null ? null : JSON.readValue(json, Adapters.Lineage.class);
  }
}
