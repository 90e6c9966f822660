package io.adapterplatform.embedded;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server (zonky's binaries) whose data directory survives restarts. Its binaries are
 * unpacked into a directory only this user can write (zonky's default, a shared temporary folder,
 * lets another local user plant a {@code postgres} binary before the first start), and every
 * connection, local socket included, must give the superuser's password (scram-sha-256), generated
 * once and kept 0600 beside the cluster.
 */
final class PostgresServer implements AutoCloseable {

  static final String USER = "postgres";
  static final String DATABASE = "postgres";
  private static final Logger log = LoggerFactory.getLogger(PostgresServer.class);

  /** zonky reads its parent working directory from this property when its builder is created. */
  private static final String ZONKY_WORKING_DIR = "ot.epg.working-dir";

  private static final String PASSWORD_ONLY_HBA =
      """
      # Written by the adapter platform: every connection gives the password (scram-sha-256).
      local   all          all                  scram-sha-256
      host    all          all   127.0.0.1/32   scram-sha-256
      host    all          all   ::1/128        scram-sha-256
      local   replication  all                  scram-sha-256
      host    replication  all   127.0.0.1/32   scram-sha-256
      host    replication  all   ::1/128        scram-sha-256
      """;

  private final EmbeddedPostgres postgres;
  private final String password;

  private PostgresServer(EmbeddedPostgres postgres, String password) {
    this.postgres = postgres;
    this.password = password;
  }

  /**
   * Starts on {@code dataDir}, initialising it on first use, with the binaries under {@code
   * binariesDir} and the password in {@code passwordFile}. A postmaster orphaned on that directory
   * by a hard kill of the previous JVM is stopped first: zonky would otherwise silently reuse it.
   */
  static PostgresServer start(Path dataDir, Path binariesDir, Path passwordFile, int port) {
    try {
      OwnerOnly.directory(dataDir);
      OwnerOnly.directory(binariesDir);
      OrphanPostmaster.stopIfRunning(dataDir);
      var password = OwnerOnly.secret(passwordFile, () -> OwnerOnly.randomHex(24));
      var postgres =
          builder(binariesDir)
              .setDataDirectory(dataDir)
              .setCleanDataDirectory(false)
              .setPort(FreePorts.resolve(port))
              // initdb only: zonky passes these as --name=value after its own "-A trust", and the
              // last one wins.
              .setLocaleConfig("auth", "scram-sha-256")
              .setLocaleConfig("pwfile", passwordFile.toAbsolutePath().toString())
              // zonky's readiness probe connects as the superuser.
              .setConnectConfig("password", password)
              // We stop it ourselves, after the services that use it (see EmbeddedBackends.close).
              .setRegisterShutdownHook(false)
              .setPGStartupWait(Duration.ofSeconds(60))
              .setServerConfig("listen_addresses", "127.0.0.1")
              // zonky starts postgres with -F and synchronous_commit=off, tuned for throwaway test
              // databases;
              // this one keeps the platform's data, and "acknowledged is never lost" must hold
              // across an OS
              // crash too. A later -c wins over -F.
              .setServerConfig("fsync", "on")
              .setServerConfig("synchronous_commit", "on")
              .start();
      var server = new PostgresServer(postgres, password);
      // zonky opens its working directory to every user (a cache shared by all users of /tmp):
      // close it again.
      // The data directory above it is 0700, so nobody else could reach it in between.
      OwnerOnly.directory(binariesDir);
      server.requirePasswordsIfStillTrusting(dataDir);
      log.info("PostgreSQL started port={} dataDir={}", postgres.getPort(), dataDir);
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("PostgreSQL did not start on " + dataDir, e);
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL on " + dataDir + " did not take its password", e);
    }
  }

  /**
   * zonky takes its parent working directory (created and swept for stale clusters at every start)
   * from a system property read once per builder, defaulting to the shared temporary folder: point
   * it at ours while the builder is made. Binaries go under it too ({@code
   * setOverrideWorkingDirectory}).
   */
  private static synchronized EmbeddedPostgres.Builder builder(Path binariesDir) {
    var previous = System.getProperty(ZONKY_WORKING_DIR);
    System.setProperty(ZONKY_WORKING_DIR, binariesDir.toAbsolutePath().toString());
    try {
      return EmbeddedPostgres.builder()
          .setOverrideWorkingDirectory(binariesDir.toAbsolutePath().toFile())
          .setPgBinaryResolver(new BinariesFor(binariesDir.toAbsolutePath()));
    } finally {
      if (previous == null) {
        System.clearProperty(ZONKY_WORKING_DIR);
      } else {
        System.setProperty(ZONKY_WORKING_DIR, previous);
      }
    }
  }

  /**
   * zonky's own resolver, under a key per binaries directory: zonky remembers, per resolver and for
   * the whole JVM, where it unpacked the binaries, and would otherwise run every later cluster from
   * the first one's.
   */
  private record BinariesFor(Path binariesDir) implements PgBinaryResolver {
    @Override
    public InputStream getPgBinary(String system, String machineHardware) throws IOException {
      return DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(system, machineHardware);
    }
  }

  /**
   * A cluster made by an older version (initdb -A trust) lets any local user in as superuser: give
   * the superuser its password, then require it. Repeated at the next start if a crash interrupts
   * it.
   */
  private void requirePasswordsIfStillTrusting(Path dataDir) throws IOException, SQLException {
    var hba = dataDir.resolve("pg_hba.conf");
    var trusting =
        Files.readAllLines(hba, StandardCharsets.UTF_8).stream()
            .map(String::strip)
            .anyMatch(line -> !line.startsWith("#") && line.endsWith("trust"));
    if (!trusting) {
      return;
    }
    log.warn(
        "PostgreSQL on {} trusted local connections (made by an older version); it now requires a password",
        dataDir);
    try (var connection = DriverManager.getConnection(jdbcUrl(), USER, password);
        var statement = connection.createStatement()) {
      // The password is hex (OwnerOnly.randomHex): nothing in it needs quoting.
      statement.execute("alter role " + USER + " with password '" + password + "'");
      Files.writeString(hba, PASSWORD_ONLY_HBA, StandardCharsets.UTF_8);
      statement.execute("select pg_reload_conf()");
    }
    awaitPasswordRequired();
  }

  /** The postmaster rereads pg_hba.conf when it handles the reload signal: wait until it has. */
  private void awaitPasswordRequired() {
    var deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      try (var ignored = DriverManager.getConnection(jdbcUrl(), USER, "")) {
        Thread.onSpinWait();
      } catch (SQLException refused) {
        return;
      }
    }
    throw new IllegalStateException(
        "PostgreSQL still accepts connections without a password after reloading " + "pg_hba.conf");
  }

  String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/" + DATABASE;
  }

  String password() {
    return password;
  }

  int port() {
    return postgres.getPort();
  }

  @Override
  public void close() throws IOException {
    postgres.close();
  }
}
