package io.adapterplatform.serving.models;

import io.adapterplatform.web.problem.ApiException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A model as a request names it: {@code name} (a base model, or an adapter's latest version or
 * default alias), {@code adapter@version} or {@code adapter@alias}. Both parts follow the
 * registry's name pattern, so an {@code @} can only be the separator.
 *
 * @param name a base model's or an adapter's name
 * @param ref the version number or alias after {@code @}, absent for a bare name
 */
public record ModelName(String name, Optional<String> ref) {

  private static final Pattern NAME = Pattern.compile("^[a-z0-9][a-z0-9._-]{0,127}$");

  public ModelName {
    if (!NAME.matcher(name).matches() || ref.filter(r -> !NAME.matcher(r).matches()).isPresent()) {
      throw new IllegalArgumentException("not a model name: " + name + ref.map(r -> "@" + r));
    }
  }

  /**
   * Parses what a request sent in its {@code model} field.
   *
   * @throws ApiException 400 invalid-field naming {@code model} when it is not of one of the forms
   */
  public static ModelName parse(String model) {
    if (model == null || model.isEmpty()) {
      throw ApiException.invalidField("model", "must name a base model or an adapter");
    }
    int at = model.indexOf('@');
    String name = at < 0 ? model : model.substring(0, at);
    Optional<String> ref = at < 0 ? Optional.empty() : Optional.of(model.substring(at + 1));
    if (!NAME.matcher(name).matches() || ref.filter(r -> !NAME.matcher(r).matches()).isPresent()) {
      throw ApiException.invalidField(
          "model",
          "must be base-model-name, adapter, adapter@version or adapter@alias"
              + " (lower-case letters, digits, '.', '_' and '-'), got '"
              + model
              + "'");
    }
    return new ModelName(name, ref);
  }

  @Override
  public String toString() {
    return name + ref.map(r -> "@" + r).orElse("");
  }
}
