package io.adapterplatform.embedded;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Run in a child JVM by {@link OrphanPostmasterTest}: starts PostgreSQL, says so, and waits to be
 * killed.
 */
final class OrphanMaker {

  private OrphanMaker() {}

  public static void main(String[] args) throws Exception {
    var home = Path.of(args[0]).getParent();
    var server =
        PostgresServer.start(
            Path.of(args[0]),
            home.resolve("postgres-binaries"),
            home.resolve("postgres-password"),
            0);
    System.out.println("ready " + server.jdbcUrl());
    System.out.flush();
    new CountDownLatch(1).await(); // until kill -9
  }
}
