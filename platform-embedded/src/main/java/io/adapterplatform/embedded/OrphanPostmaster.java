package io.adapterplatform.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A postmaster left running on a data directory after its JVM died ({@code kill -9}). PostgreSQL
 * runs in its own processes, so it outlives the JVM; whoever holds the data directory lock (see
 * {@link EmbeddedBackends}) knows that no live platform owns it and may stop it.
 */
final class OrphanPostmaster {

  private static final Logger log = LoggerFactory.getLogger(OrphanPostmaster.class);
  private static final long STOP_WAIT_SECONDS = 60;

  private OrphanPostmaster() {}

  /**
   * Stops the postmaster named in {@code dataDir/postmaster.pid} if it still runs; returns whether
   * one did.
   */
  static boolean stopIfRunning(Path dataDir) {
    var process = find(dataDir);
    if (process.isEmpty()) {
      return false;
    }
    var postmaster = process.get();
    log.warn(
        "stopping an orphaned PostgreSQL pid={} dataDir={} (its JVM was killed)",
        postmaster.pid(),
        dataDir);
    // SIGINT is PostgreSQL's "fast" shutdown: abort sessions, checkpoint, exit cleanly.
    signal(postmaster, "INT");
    if (!awaitExit(postmaster)) {
      log.warn(
          "orphaned PostgreSQL pid={} ignored SIGINT for {} s; sending SIGQUIT",
          postmaster.pid(),
          STOP_WAIT_SECONDS);
      signal(postmaster, "QUIT");
      if (!awaitExit(postmaster)) {
        throw new IllegalStateException(
            "orphaned PostgreSQL pid="
                + postmaster.pid()
                + " on "
                + dataDir
                + " does not stop; stop it by hand (pg_ctl -D "
                + dataDir
                + " stop -m immediate)");
      }
    }
    return true;
  }

  /** The live postmaster process of {@code dataDir}, if any. */
  static Optional<ProcessHandle> find(Path dataDir) {
    var pidFile = dataDir.resolve("postmaster.pid");
    if (!Files.isRegularFile(pidFile)) {
      return Optional.empty();
    }
    long pid;
    try {
      var lines = Files.readAllLines(pidFile);
      if (lines.isEmpty()) {
        return Optional.empty();
      }
      pid = Long.parseLong(lines.getFirst().trim());
    } catch (NumberFormatException e) {
      return Optional.empty(); // a torn pid file: PostgreSQL itself treats it as stale
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + pidFile, e);
    }
    // After a reboot the pid may belong to an unrelated process: only a postgres binary counts.
    return ProcessHandle.of(pid)
        .filter(ProcessHandle::isAlive)
        .filter(
            p ->
                p.info()
                    .command()
                    .map(c -> c.endsWith("/postgres") || c.endsWith("/postmaster"))
                    .orElse(false));
  }

  private static void signal(ProcessHandle process, String signal) {
    try {
      var kill =
          new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      kill.waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot signal process " + process.pid(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while signalling process " + process.pid(), e);
    }
  }

  private static boolean awaitExit(ProcessHandle process) {
    try {
      process.onExit().get(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot wait for process " + process.pid(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for process " + process.pid(), e);
    }
  }
}
