package io.adapterplatform.events;

import java.util.regex.Pattern;

/**
 * Table names come from configuration and end up inside SQL: only plain (optionally
 * schema-qualified) names.
 */
final class SqlNames {

  private static final Pattern NAME =
      Pattern.compile("[a-z_][a-z0-9_]{0,62}(\\.[a-z_][a-z0-9_]{0,62})?");

  private SqlNames() {}

  static String table(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "not a plain table name (lower case, digits, '_', optional schema.): " + name);
    }
    return name;
  }
}
