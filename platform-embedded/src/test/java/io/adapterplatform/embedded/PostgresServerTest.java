package io.adapterplatform.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostgresServerTest {

  @TempDir Path home;

  @Test
  void aClusterThatTrustedLocalConnectionsRequiresThePasswordAfterTheNextStart() throws Exception {
    var cluster = home.resolve("postgres");
    try (var older =
            EmbeddedPostgres.builder()
                .setDataDirectory(cluster)
                .setCleanDataDirectory(false)
                .start();
        var connection = DriverManager.getConnection(older.getJdbcUrl("postgres", "postgres"));
        var statement = connection.createStatement()) {
      statement.execute("create table kept (v text)");
    }

    try (var server =
        PostgresServer.start(
            cluster, home.resolve("postgres-binaries"), home.resolve("postgres-password"), 0)) {

      assertThatThrownBy(() -> DriverManager.getConnection(server.jdbcUrl(), "postgres", ""))
          .isInstanceOf(SQLException.class);
      try (var connection =
              DriverManager.getConnection(server.jdbcUrl(), "postgres", server.password());
          var rs = connection.createStatement().executeQuery("select count(*) from kept")) {
        assertThat(rs.next()).isTrue();
      }
    }
  }
}
