package io.adapterplatform.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One set of backends per test JVM, started on first use and stopped when the JVM exits: Testcontainers
 * where a Docker engine answers, otherwise the embedded servers on a temporary directory.
 * The system property or environment variable {@code platform.test.backends} ({@code PLATFORM_TEST_BACKENDS})
 * forces {@code embedded} or {@code containers}; the default is {@code auto}.
 */
public final class TestBackends {

  private static final Logger log = LoggerFactory.getLogger(TestBackends.class);
  private static BackendEndpoints shared;

  private TestBackends() {
  }

  /** The JVM's shared backends, started on the first call. */
  public static synchronized BackendEndpoints shared() {
    if (shared == null) {
      shared = startShared();
    }
    return shared;
  }

  private static BackendEndpoints startShared() {
    var mode = mode();
    var containers = switch (mode) {
      case "containers" -> true;
      case "embedded" -> false;
      case "auto" -> DockerProbe.dockerAvailable();
      default -> throw new IllegalArgumentException(
          "platform.test.backends must be auto, embedded or containers, was '" + mode + "'");
    };
    if (containers) {
      log.info("test backends: Testcontainers");
      return ContainerBackends.start();
    }
    log.info("test backends: embedded servers (no Docker engine)");
    return startEmbedded();
  }

  private static BackendEndpoints startEmbedded() {
    Path dir;
    try {
      dir = Files.createTempDirectory("platform-test-backends-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary directory for the test backends", e);
    }
    var backends = EmbeddedBackends.start(dir);
    Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("test-backends-stop").unstarted(() -> {
      backends.close();
      deleteRecursively(dir);
    }));
    return backends.endpoints();
  }

  private static String mode() {
    var value = System.getProperty("platform.test.backends");
    if (value == null) {
      value = System.getenv("PLATFORM_TEST_BACKENDS");
    }
    return value == null ? "auto" : value.trim().toLowerCase(Locale.ROOT);
  }

  private static void deleteRecursively(Path dir) {
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.deleteIfExists(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
          Files.deleteIfExists(d);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      // At JVM exit nobody can act on it; the OS cleans its temporary directory eventually.
      System.err.println("platform: could not delete test backend data " + dir + ": " + e);
    }
  }
}
