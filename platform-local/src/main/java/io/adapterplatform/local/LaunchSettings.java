package io.adapterplatform.local;

import io.adapterplatform.embedded.Settings;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code bin/platform up} is told, read before Spring starts (the backends must be up before
 * the services' DataSource, S3 and Kafka beans exist). Each value comes from a {@code --name=value}
 * argument, then a system property, then the environment variable.
 *
 * @param bindAddress the address Tomcat listens on: loopback unless told otherwise, since it speaks
 *     plain HTTP
 */
record LaunchSettings(
    Path dataDir, String bindAddress, int port, Optional<String> adminToken, Settings backends) {

  static final String DATA_DIR = "platform.data-dir";
  static final String BIND = "platform.bind";
  static final String PORT = "platform.port";
  static final String ADMIN_TOKEN = "platform.auth.admin-token";
  static final String LOOPBACK = "127.0.0.1";

  /**
   * 32 characters of a random token carry at least 128 bits whatever alphabet they use (hex: 4 bits
   * each).
   */
  static final int MIN_ADMIN_TOKEN_LENGTH = 32;

  static LaunchSettings from(String[] args, Map<String, String> env) {
    var dataDir = value(args, DATA_DIR, env, "PLATFORM_DATA_DIR").orElse(".platform-data");
    var bind =
        value(args, BIND, env, "PLATFORM_BIND")
            .map(String::strip)
            .filter(b -> !b.isEmpty())
            .orElse(LOOPBACK);
    var port = port(args, env, PORT, "PLATFORM_PORT", 8080);
    var token =
        value(args, ADMIN_TOKEN, env, "PLATFORM_ADMIN_TOKEN")
            .filter(t -> !t.isBlank())
            .map(String::strip);
    token.ifPresent(LaunchSettings::checkAdminToken);
    // Backend ports default to free ones; fixing them lets psql, mc or kcat reach the embedded
    // servers.
    var backends =
        Settings.defaults()
            .withPostgresPort(
                port(args, env, "platform.backends.postgres-port", "PLATFORM_POSTGRES_PORT", 0))
            .withS3Port(port(args, env, "platform.backends.s3-port", "PLATFORM_S3_PORT", 0))
            .withKafkaPort(
                port(args, env, "platform.backends.kafka-port", "PLATFORM_KAFKA_PORT", 0));
    return new LaunchSettings(
        Path.of(dataDir).toAbsolutePath().normalize(), bind, port, token, backends);
  }

  private static void checkAdminToken(String token) {
    if (token.length() < MIN_ADMIN_TOKEN_LENGTH) {
      throw new IllegalArgumentException(
          "PLATFORM_ADMIN_TOKEN must be at least "
              + MIN_ADMIN_TOKEN_LENGTH
              + " characters, was "
              + token.length()
              + " (make one with: openssl rand -hex 24)");
    }
  }

  private static int port(
      String[] args, Map<String, String> env, String property, String variable, int fallback) {
    var text = value(args, property, env, variable);
    if (text.isEmpty()) {
      return fallback;
    }
    int parsed;
    try {
      parsed = Integer.parseInt(text.get().trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          variable + " must be a TCP port number, was '" + text.get() + "'");
    }
    if (parsed < 0 || parsed > 65535) {
      throw new IllegalArgumentException(variable + " must be between 0 and 65535, was " + parsed);
    }
    return parsed;
  }

  private static Optional<String> value(
      String[] args, String property, Map<String, String> env, String variable) {
    var prefix = "--" + property + "=";
    for (var arg : args) {
      if (arg.startsWith(prefix)) {
        return Optional.of(arg.substring(prefix.length()));
      }
    }
    return Optional.ofNullable(System.getProperty(property))
        .or(() -> Optional.ofNullable(env.get(variable)));
  }
}
