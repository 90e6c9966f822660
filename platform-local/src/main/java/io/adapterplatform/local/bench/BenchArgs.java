package io.adapterplatform.local.bench;

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
    var line = BenchCommandLine.parse(args, NAMES, Set.of());
    var parsed =
        new BenchArgs(
            line.text("url"),
            line.text("token"),
            line.text("s3-endpoint"),
            line.text("s3-access-key"),
            line.text("s3-secret-key"),
            line.text("s3-region", "us-east-1"),
            line.positive("size-mib", 256),
            line.positive("rounds", 3),
            line.positive("clients", 32),
            line.positive("seconds", 15));
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
}
