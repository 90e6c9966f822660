package io.adapterplatform.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One set of backends per test JVM, started on first use and stopped when the JVM exits:
 * Testcontainers where a Docker engine answers, otherwise the embedded servers on a temporary
 * directory. The system property or environment variable {@code platform.test.backends} ({@code
 * PLATFORM_TEST_BACKENDS}) forces {@code embedded} or {@code containers}; the default is {@code
 * auto}. Before starting embedded servers it removes the leftovers of test JVMs that were killed
 * ({@link #sweepStale}); the system property {@code platform.test.backends.sweep=false} turns that
 * off.
 */
public final class TestBackends {

  private static final Logger log = LoggerFactory.getLogger(TestBackends.class);
  private static final String PREFIX = "platform-test-backends-";
  private static final Duration STALE_AFTER = Duration.ofMinutes(10);
  private static BackendEndpoints shared;

  private TestBackends() {}

  /** The JVM's shared backends, started on the first call. */
  public static synchronized BackendEndpoints shared() {
    if (shared == null) {
      shared = startShared();
    }
    return shared;
  }

  private static BackendEndpoints startShared() {
    var mode = mode();
    var containers =
        switch (mode) {
          case "containers" -> true;
          case "embedded" -> false;
          case "auto" -> DockerProbe.dockerAvailable();
          default ->
              throw new IllegalArgumentException(
                  "platform.test.backends must be auto, embedded or containers, was '"
                      + mode
                      + "'");
        };
    if (containers) {
      log.info("test backends: Testcontainers");
      return ContainerBackends.start();
    }
    log.info("test backends: embedded servers (no Docker engine)");
    return startEmbedded();
  }

  private static BackendEndpoints startEmbedded() {
    if (!"false".equals(System.getProperty("platform.test.backends.sweep"))) {
      sweepStale(Path.of(System.getProperty("java.io.tmpdir")), STALE_AFTER);
    }
    Path dir;
    try {
      dir = Files.createTempDirectory(PREFIX);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot create a temporary directory for the test backends", e);
    }
    EmbeddedBackends backends;
    try {
      backends = EmbeddedBackends.start(dir);
    } catch (RuntimeException e) {
      deleteRecursively(dir);
      throw e;
    }
    Runtime.getRuntime()
        .addShutdownHook(
            Thread.ofPlatform()
                .name("test-backends-stop")
                .unstarted(
                    () -> {
                      backends.close();
                      deleteRecursively(dir);
                    }));
    return backends.endpoints();
  }

  /**
   * Removes what test JVMs killed with SIGKILL (a surefire fork timeout, a killed build) left
   * behind: a temporary directory nobody holds the lock of, and the PostgreSQL still running on it.
   * Only directories older than {@code staleAfter} count, so a JVM between creating its directory
   * and locking it is safe.
   */
  static int sweepStale(Path tmp, Duration staleAfter) {
    var swept = 0;
    try (var dirs = Files.newDirectoryStream(tmp, PREFIX + "*")) {
      for (var dir : dirs) {
        if (Files.isDirectory(dir) && isOlderThan(dir, staleAfter) && unlocked(dir)) {
          OrphanPostmaster.stopIfRunning(dir.resolve("postgres"));
          deleteRecursively(dir);
          swept++;
        }
      }
    } catch (IOException | RuntimeException e) {
      log.warn("could not sweep stale test backends in {}: {}", tmp, e.toString());
    }
    if (swept > 0) {
      log.info("removed {} stale test backend directories of killed test JVMs", swept);
    }
    return swept;
  }

  private static boolean isOlderThan(Path dir, Duration age) throws IOException {
    return Files.getLastModifiedTime(dir).toInstant().isBefore(Instant.now().minus(age));
  }

  /** True when no live process holds the directory's lock (the lock dies with its process). */
  private static boolean unlocked(Path dir) throws IOException {
    var lockFile = dir.resolve("platform.lock");
    if (!Files.exists(lockFile)) {
      return true;
    }
    try (var channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        return false; // held by this JVM
      }
      if (lock == null) {
        return false;
      }
      lock.release();
      return true;
    }
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
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
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
