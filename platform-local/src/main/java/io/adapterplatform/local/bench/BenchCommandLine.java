package io.adapterplatform.local.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The command line of a bench ({@code bin/platform bench registry|training|serving}): options
 * {@code --name value} or {@code --name=value}, and flags {@code --name} without a value. Each
 * bench names the options and flags it knows and reads them typed, with its own defaults; anything
 * else is an {@link IllegalArgumentException} whose message the bench prints above its usage line.
 */
final class BenchCommandLine {

  private final Map<String, String> values;
  private final Set<String> flags;

  private BenchCommandLine(Map<String, String> values, Set<String> flags) {
    this.values = values;
    this.flags = flags;
  }

  /**
   * @param options names (without {@code --}) that take a value
   * @param flags names (without {@code --}) that take none
   */
  static BenchCommandLine parse(String[] args, Set<String> options, Set<String> flags) {
    Map<String, String> values = new HashMap<>();
    Set<String> given = new HashSet<>();
    for (var i = 0; i < args.length; i++) {
      var arg = args[i];
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + arg + "'");
      }
      var eq = arg.indexOf('=');
      var name = eq > 0 ? arg.substring(2, eq) : arg.substring(2);
      if (flags.contains(name)) {
        if (eq > 0) {
          throw new IllegalArgumentException("--" + name + " takes no value");
        }
        given.add(name);
        continue;
      }
      if (!options.contains(name)) {
        throw new IllegalArgumentException("unknown option --" + name);
      }
      if (eq > 0) {
        values.put(name, arg.substring(eq + 1));
      } else if (i + 1 < args.length) {
        values.put(name, args[++i]);
      } else {
        throw new IllegalArgumentException("--" + name + " needs a value");
      }
    }
    return new BenchCommandLine(values, given);
  }

  /** Whether the flag {@code --name} was given. */
  boolean flag(String name) {
    return flags.contains(name);
  }

  boolean has(String name) {
    return values.containsKey(name);
  }

  Optional<String> text(String name) {
    return Optional.ofNullable(values.get(name));
  }

  String text(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  /** {@code --name}'s value as a number above zero, or {@code fallback} when not given. */
  int positive(String name, int fallback) {
    var value = values.get(name);
    return value == null ? fallback : positiveNumber(name, value);
  }

  /** {@code --name}'s comma-separated numbers above zero, or {@code fallback} when not given. */
  List<Integer> positives(String name, List<Integer> fallback) {
    var value = values.get(name);
    if (value == null) {
      return fallback;
    }
    List<Integer> out = new ArrayList<>();
    for (var part : value.split(",", -1)) {
      if (part.isBlank()) {
        throw new IllegalArgumentException(
            "--" + name + " must be comma-separated numbers, was '" + value + "'");
      }
      out.add(positiveNumber(name, part.trim()));
    }
    return List.copyOf(out);
  }

  private static int positiveNumber(String name, String value) {
    int n;
    try {
      n = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " must be a number, was '" + value + "'");
    }
    if (n <= 0) {
      throw new IllegalArgumentException("--" + name + " must be positive, was " + n);
    }
    return n;
  }
}
