package io.adapterplatform.web.page;

import io.adapterplatform.web.problem.ApiException;
import java.util.regex.Pattern;

/** The one naming rule for base models, adapters, aliases and tokens. */
public final class Names {

  /**
   * The rule as the contract states it ({@code pattern} of every name, alias and version
   * reference).
   */
  public static final String PATTERN = "^[a-z0-9][a-z0-9._-]{0,127}$";

  private static final Pattern NAME = Pattern.compile(PATTERN);

  private Names() {}

  /** Returns the name when it is valid, else throws 400 naming the field. */
  public static String require(String field, String value) {
    if (value == null || value.isEmpty()) {
      throw ApiException.invalidField(field, "is required");
    }
    if (!NAME.matcher(value).matches()) {
      throw ApiException.invalidField(field, "must match ^[a-z0-9][a-z0-9._-]{0,127}$");
    }
    return value;
  }
}
