package io.adapterplatform.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The platform's three backends as real servers owned by this JVM, with everything they store kept
 * under one data directory so that a restart (clean or after {@code kill -9}) finds it again:
 *
 * <pre>
 * dataDir/platform.lock                held while a platform runs on the directory
 * dataDir/postgres/                    PostgreSQL cluster
 * dataDir/postgres-binaries/           zonky's PostgreSQL binaries, unpacked on first start
 * dataDir/postgres-password            the superuser's password (0600)
 * dataDir/s3/                          S3Proxy filesystem store: one directory per bucket
 * dataDir/s3-credentials.properties    the S3 keys S3Proxy accepts (0600), unless given in Settings
 * dataDir/kafka/                       KRaft single-node broker+controller logs
 * </pre>
 *
 * The data directory and every folder in it are 0700: they hold the stored weights and the
 * credentials. Start with {@link #start(Path)} or {@link #start(Path, Settings)}; {@link #close()}
 * stops Kafka, S3 and PostgreSQL in that order.
 */
public final class EmbeddedBackends implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedBackends.class);

  private final Path dataDir;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final PostgresServer postgres;
  private final S3Server s3;
  private final KafkaServer kafka;
  private final BackendEndpoints endpoints;
  private boolean closed;

  private EmbeddedBackends(
      Path dataDir,
      FileChannel lockChannel,
      FileLock lock,
      PostgresServer postgres,
      S3Server s3,
      KafkaServer kafka,
      S3Credentials s3Credentials,
      Settings settings) {
    this.dataDir = dataDir;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.postgres = postgres;
    this.s3 = s3;
    this.kafka = kafka;
    this.endpoints =
        new BackendEndpoints(
            postgres.jdbcUrl(),
            PostgresServer.USER,
            postgres.password(),
            s3.endpoint(),
            s3Credentials.accessKey(),
            s3Credentials.secretKey(),
            settings.s3Region(),
            kafka.bootstrapServers());
  }

  /** Starts every backend on free ports with the data directory's own S3 keys. */
  public static EmbeddedBackends start(Path dataDir) {
    return start(dataDir, Settings.defaults());
  }

  /**
   * Starts every backend under {@code dataDir} (created if missing), or fails with a clear message
   * when another process already runs on it.
   */
  public static EmbeddedBackends start(Path dataDir, Settings settings) {
    QuietLogs.apply();
    var dir = dataDir.toAbsolutePath().normalize();
    var started = System.nanoTime();
    FileChannel channel = null;
    var servers = new ArrayList<AutoCloseable>();
    try {
      OwnerOnly.directory(dir);
      channel =
          FileChannel.open(
              dir.resolve("platform.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      var lock = tryLock(channel, dir);
      var s3Credentials = settings.s3Credentials().orElseGet(() -> S3Credentials.of(dir));
      OwnerOnly.directory(dir.resolve("s3"));
      OwnerOnly.directory(dir.resolve("kafka"));
      // PostgreSQL runs in its own processes and S3Proxy barely needs a core: starting the three
      // side by
      // side saves a few seconds on 2 cores.
      try (ExecutorService starter =
          Executors.newThreadPerTaskExecutor(
              Thread.ofPlatform().daemon().name("backend-start-", 0).factory())) {
        var pg =
            submit(
                starter,
                servers,
                () ->
                    PostgresServer.start(
                        dir.resolve("postgres"),
                        dir.resolve("postgres-binaries"),
                        dir.resolve("postgres-password"),
                        settings.postgresPort()));
        var s3 =
            submit(
                starter,
                servers,
                () ->
                    S3Server.start(
                        dir.resolve("s3"),
                        FreePorts.resolve(settings.s3Port()),
                        s3Credentials.accessKey(),
                        s3Credentials.secretKey()));
        var kafka =
            submit(
                starter,
                servers,
                () ->
                    KafkaServer.start(
                        dir.resolve("kafka"),
                        settings.kafkaPort(),
                        settings.kafkaControllerPort()));
        var backends =
            new EmbeddedBackends(
                dir, channel, lock, pg.join(), s3.join(), kafka.join(), s3Credentials, settings);
        log.info(
            "embedded backends ready in {} ms dataDir={} endpoints={}",
            (System.nanoTime() - started) / 1_000_000,
            dir,
            backends.endpoints);
        return backends;
      }
    } catch (IOException e) {
      stopAll(servers, channel);
      throw new UncheckedIOException("cannot use data directory " + dir, e);
    } catch (CompletionException e) {
      stopAll(servers, channel);
      throw e.getCause() instanceof RuntimeException r
          ? r
          : new IllegalStateException(e.getCause());
    } catch (RuntimeException e) {
      stopAll(servers, channel);
      throw e;
    }
  }

  /** Where the services should connect. */
  public BackendEndpoints endpoints() {
    return endpoints;
  }

  /** The data directory these backends own. */
  public Path dataDir() {
    return dataDir;
  }

  /** Stops Kafka, then S3, then PostgreSQL, and releases the data directory. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stopAll(new ArrayList<>(List.of(postgres, s3, kafka)), lockChannel);
    log.info("embedded backends stopped dataDir={}", dataDir);
  }

  private static FileLock tryLock(FileChannel channel, Path dir) throws IOException {
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      throw new IllegalStateException(
          "data directory " + dir + " is in use by another running platform");
    }
    return lock;
  }

  private static <T extends AutoCloseable> CompletableFuture<T> submit(
      ExecutorService executor, List<AutoCloseable> started, Supplier<T> start) {
    return CompletableFuture.supplyAsync(start, executor)
        .thenApply(
            server -> {
              synchronized (started) {
                started.add(server);
              }
              return server;
            });
  }

  /** Stops in reverse start order of the list (servers are added as they come up). */
  private static void stopAll(List<AutoCloseable> servers, FileChannel channel) {
    List<AutoCloseable> toStop;
    synchronized (servers) {
      toStop = new ArrayList<>(servers);
    }
    for (var i = toStop.size() - 1; i >= 0; i--) {
      var server = toStop.get(i);
      try {
        server.close();
      } catch (Exception e) {
        log.error("stopping {} failed", server.getClass().getSimpleName(), e);
      }
    }
    if (channel != null) {
      try {
        channel.close(); // releases the lock
      } catch (IOException e) {
        log.error("releasing the data directory lock failed", e);
      }
    }
  }
}
