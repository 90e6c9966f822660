package io.adapterplatform.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A PostgreSQL server (zonky's binaries) whose data directory survives restarts. */
final class PostgresServer implements AutoCloseable {

  static final String USER = "postgres";
  static final String DATABASE = "postgres";
  private static final Logger log = LoggerFactory.getLogger(PostgresServer.class);

  private final EmbeddedPostgres postgres;

  private PostgresServer(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /**
   * Starts on {@code dataDir}, initialising it on first use. A postmaster orphaned on that directory by
   * a hard kill of the previous JVM is stopped first: zonky would otherwise silently reuse it.
   */
  static PostgresServer start(Path dataDir, int port) {
    try {
      Files.createDirectories(dataDir);
      OrphanPostmaster.stopIfRunning(dataDir);
      var postgres = EmbeddedPostgres.builder()
          .setDataDirectory(dataDir)
          .setCleanDataDirectory(false)
          .setPort(FreePorts.resolve(port))
          // We stop it ourselves, after the services that use it (see EmbeddedBackends.close).
          .setRegisterShutdownHook(false)
          .setPGStartupWait(Duration.ofSeconds(60))
          .setServerConfig("listen_addresses", "127.0.0.1")
          // zonky starts postgres with -F and synchronous_commit=off, tuned for throwaway test databases;
          // this one keeps the platform's data, and "acknowledged is never lost" must hold across an OS
          // crash too. A later -c wins over -F.
          .setServerConfig("fsync", "on")
          .setServerConfig("synchronous_commit", "on")
          .start();
      log.info("PostgreSQL started port={} dataDir={}", postgres.getPort(), dataDir);
      return new PostgresServer(postgres);
    } catch (IOException e) {
      throw new UncheckedIOException("PostgreSQL did not start on " + dataDir, e);
    }
  }

  String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/" + DATABASE;
  }

  int port() {
    return postgres.getPort();
  }

  @Override
  public void close() throws IOException {
    postgres.close();
  }
}
