package io.adapterplatform.local;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code bin/platform up} is told, read before Spring starts (the backends must be up before the
 * services' DataSource, S3 and Kafka beans exist). Each value comes from a {@code --name=value} argument,
 * then a system property, then the environment variable.
 */
record LaunchSettings(Path dataDir, int port, Optional<String> adminToken) {

  static final String DATA_DIR = "platform.data-dir";
  static final String PORT = "platform.port";
  static final String ADMIN_TOKEN = "platform.auth.admin-token";

  static LaunchSettings from(String[] args, Map<String, String> env) {
    var dataDir = value(args, DATA_DIR, env, "PLATFORM_DATA_DIR").orElse(".platform-data");
    var port = value(args, PORT, env, "PLATFORM_PORT").orElse("8080");
    int parsedPort;
    try {
      parsedPort = Integer.parseInt(port.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("PLATFORM_PORT must be a TCP port number, was '" + port + "'");
    }
    if (parsedPort < 0 || parsedPort > 65535) {
      throw new IllegalArgumentException("PLATFORM_PORT must be between 0 and 65535, was " + parsedPort);
    }
    var token = value(args, ADMIN_TOKEN, env, "PLATFORM_ADMIN_TOKEN").filter(t -> !t.isBlank());
    return new LaunchSettings(Path.of(dataDir).toAbsolutePath().normalize(), parsedPort, token);
  }

  private static Optional<String> value(String[] args, String property, Map<String, String> env, String variable) {
    var prefix = "--" + property + "=";
    for (var arg : args) {
      if (arg.startsWith(prefix)) {
        return Optional.of(arg.substring(prefix.length()));
      }
    }
    return Optional.ofNullable(System.getProperty(property)).or(() -> Optional.ofNullable(env.get(variable)));
  }
}
