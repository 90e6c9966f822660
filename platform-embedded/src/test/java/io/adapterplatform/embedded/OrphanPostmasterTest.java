package io.adapterplatform.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrphanPostmasterTest {

  @TempDir Path dataDir;

  @Test
  void aPostmasterLeftRunningByAKilledJvmIsStoppedAndItsDataServedByTheNextStart()
      throws Exception {
    var pgDir = dataDir.resolve("postgres");
    var orphanUrl = startInChildJvmAndKillIt(pgDir);
    var orphanPid = OrphanPostmaster.find(pgDir).orElseThrow().pid();
    BackendProbes.sql(endpoints(orphanUrl), "create table kept (v text)");
    BackendProbes.sql(endpoints(orphanUrl), "insert into kept values ('written before the kill')");

    try (var next =
        PostgresServer.start(
            pgDir, dataDir.resolve("postgres-binaries"), dataDir.resolve("postgres-password"), 0)) {

      assertThat(ProcessHandle.of(orphanPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
      assertThat(OrphanPostmaster.find(pgDir).orElseThrow().pid()).isNotEqualTo(orphanPid);
      assertThat(BackendProbes.queryStrings(endpoints(next.jdbcUrl()), "select v from kept"))
          .containsExactly("written before the kill");
    }
    assertThat(OrphanPostmaster.find(pgDir)).isEmpty();
  }

  @Test
  void noPidFileMeansNoOrphan() {
    assertThat(OrphanPostmaster.stopIfRunning(dataDir)).isFalse();
  }

  /**
   * Starts PostgreSQL from a child JVM, then kills that JVM with SIGKILL; returns the orphan's JDBC
   * URL.
   */
  private static String startInChildJvmAndKillIt(Path pgDir) throws Exception {
    var java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    var child =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                OrphanMaker.class.getName(),
                pgDir.toString())
            .redirectErrorStream(true)
            .start();
    try (var out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("ready ")) {
          child.destroyForcibly();
          assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
          return line.substring("ready ".length());
        }
      }
    }
    throw new AssertionError(
        "the child JVM exited before PostgreSQL was ready: " + child.waitFor());
  }

  private BackendEndpoints endpoints(String jdbcUrl) throws Exception {
    var password = Files.readString(dataDir.resolve("postgres-password")).strip();
    return new BackendEndpoints(
        jdbcUrl, PostgresServer.USER, password, "http://unused", "a", "s", "r", "unused:1");
  }
}
