package io.adapterplatform.local.bench;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Command-line options of {@code bin/platform bench registry}. */
record BenchArgs(
    Optional<String> url,
    Optional<String> token,
    Optional<String> s3Endpoint,
    Optional<String> s3AccessKey,
    Optional<String> s3SecretKey,
    String s3Region,
    int sizeMib,
    int rounds,
    int clients,
    int seconds) {

  static final String USAGE =
      "usage: bin/platform bench registry [--url URL --token TOKEN "
          + "[--s3-endpoint URL --s3-access-key KEY --s3-secret-key KEY --s3-region REGION]] "
          + "[--size-mib 256] [--rounds 3] [--clients 32] [--seconds 15]";
  private static final Set<String> NAMES =
      Set.of(
          "url",
          "token",
          "s3-endpoint",
          "s3-access-key",
          "s3-secret-key",
          "s3-region",
          "size-mib",
          "rounds",
          "clients",
          "seconds");

  static BenchArgs parse(String[] args) {
    Map<String, String> values = new HashMap<>();
    for (var i = 0; i < args.length; i++) {
      var arg = args[i];
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + arg + "'");
      }
      String name;
      String value;
      var eq = arg.indexOf('=');
      if (eq > 0) {
        name = arg.substring(2, eq);
        value = arg.substring(eq + 1);
      } else {
        name = arg.substring(2);
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("--" + name + " needs a value");
        }
        value = args[++i];
      }
      if (!NAMES.contains(name)) {
        throw new IllegalArgumentException("unknown option --" + name);
      }
      values.put(name, value);
    }
    var parsed =
        new BenchArgs(
            Optional.ofNullable(values.get("url")),
            Optional.ofNullable(values.get("token")),
            Optional.ofNullable(values.get("s3-endpoint")),
            Optional.ofNullable(values.get("s3-access-key")),
            Optional.ofNullable(values.get("s3-secret-key")),
            values.getOrDefault("s3-region", "us-east-1"),
            positive(values, "size-mib", 256),
            positive(values, "rounds", 3),
            positive(values, "clients", 32),
            positive(values, "seconds", 15));
    if (parsed.url.isPresent() != parsed.token.isPresent()) {
      throw new IllegalArgumentException("--url and --token go together");
    }
    var s3 =
        (parsed.s3Endpoint.isPresent() ? 1 : 0)
            + (parsed.s3AccessKey.isPresent() ? 1 : 0)
            + (parsed.s3SecretKey.isPresent() ? 1 : 0);
    if (s3 != 0 && s3 != 3) {
      throw new IllegalArgumentException(
          "--s3-endpoint, --s3-access-key and --s3-secret-key go together");
    }
    return parsed;
  }

  private static int positive(Map<String, String> values, String name, int fallback) {
    var value = values.get(name);
    if (value == null) {
      return fallback;
    }
    try {
      var n = Integer.parseInt(value);
      if (n <= 0) {
        throw new IllegalArgumentException("--" + name + " must be positive, was " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " must be a number, was '" + value + "'");
    }
  }
}
