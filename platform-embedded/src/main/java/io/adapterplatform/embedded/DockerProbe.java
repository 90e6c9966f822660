package io.adapterplatform.embedded;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.DockerClientFactory;

/**
 * Whether Testcontainers can run here. Asking Testcontainers directly on a machine without any
 * Docker costs seconds and logs an ERROR with a stack trace; so it is only asked when a socket or a
 * configuration that could lead to an engine exists.
 */
final class DockerProbe {

  private DockerProbe() {}

  static boolean dockerAvailable() {
    if (!anyHint()) {
      return false;
    }
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  private static boolean anyHint() {
    if (System.getenv("DOCKER_HOST") != null
        || System.getenv("TESTCONTAINERS_HOST_OVERRIDE") != null) {
      return true;
    }
    var home = Path.of(System.getProperty("user.home"));
    var candidates =
        new ArrayList<>(
            List.of(
                Path.of("/var/run/docker.sock"),
                home.resolve(".docker/run/docker.sock"),
                home.resolve(".docker/desktop/docker.sock"),
                home.resolve(".testcontainers.properties")));
    var runtimeDir = System.getenv("XDG_RUNTIME_DIR");
    if (runtimeDir != null) {
      candidates.add(Path.of(runtimeDir, "docker.sock"));
      candidates.add(Path.of(runtimeDir, "podman/podman.sock"));
    }
    return candidates.stream().anyMatch(Files::exists);
  }
}
