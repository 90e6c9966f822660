package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.embedded.TestBackends;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The registry's schema and history, on databases of their own: a fresh one, and one as earlier
 * versions left it (the registry's tables and Flyway history in {@code public}).
 */
class RegistrySchemaUpgradeTest {

  @Test
  void freshDatabaseGetsTheRegistrySchemaWithItsOwnHistoryAndNothingInPublic() throws Exception {
    DataSource db = newDatabase();

    RegistryDatabase.migrate(db);

    assertThat(
            strings(
                db,
                "select version from registry.flyway_schema_history where success and version is not null order by installed_rank"))
        .containsExactlyElementsOf(migrationVersions());
    assertThat(
            strings(
                db,
                "select table_name from information_schema.tables where table_schema = 'public'"))
        .isEmpty();
    assertThat(
            strings(
                db,
                "select table_name from information_schema.tables where table_schema = 'registry'"))
        .containsAll(RegistryDatabase.TABLES_BEFORE_SCHEMA)
        .contains("flyway_schema_history");
  }

  @Test
  void tablesLeftInPublicByAnEarlierVersionMoveIntoTheRegistrySchemaWithTheirRows()
      throws Exception {
    DataSource db = newDatabase();
    oldLayout(db);
    execute(
        db,
        "insert into public.api_token (name, token_sha256, roles) values ('old', repeat('a', 64), 'ADMIN')");

    RegistryDatabase.migrate(db);

    assertThat(strings(db, "select name from registry.api_token")).containsExactly("old");
    assertThat(
            strings(
                db,
                "select table_name from information_schema.tables where table_schema = 'public'"))
        .isEmpty();
    var expected = new ArrayList<>(migrationVersions());
    expected.removeIf(
        v -> Integer.parseInt(v) < 101); // 101: the baseline the adopted tables stand for
    assertThat(
            strings(
                db,
                "select version from registry.flyway_schema_history where success and version is not null order by installed_rank"))
        .containsExactlyElementsOf(expected);
    // The identity sequence moved with its table: new rows continue after the adopted ones.
    execute(
        db,
        "insert into registry.api_token (name, token_sha256, roles) values ('new', repeat('b', 64), 'READER')");
    assertThat(strings(db, "select name from registry.api_token order by id"))
        .containsExactly("old", "new");
  }

  @Test
  void migratingAgainChangesNothing() throws Exception {
    DataSource db = newDatabase();
    oldLayout(db);
    RegistryDatabase.migrate(db);
    var history =
        strings(db, "select version from registry.flyway_schema_history order by installed_rank");

    RegistryDatabase.migrate(db);

    assertThat(
            strings(
                db, "select version from registry.flyway_schema_history order by installed_rank"))
        .isEqualTo(history);
    assertThat(RegistryDatabase.adoptPublicTables(db)).isEmpty();
  }

  @Test
  void anotherServicesHistoryInPublicIsLeftAlone() throws Exception {
    DataSource db = newDatabase();
    oldLayout(db);
    execute(
        db,
        "insert into public.flyway_schema_history (installed_rank, version, description, type, script,"
            + " installed_by, execution_time, success) values (3, '200', 'other', 'SQL', 'V200__other.sql', 'x', 1, true)");

    RegistryDatabase.migrate(db);

    assertThat(strings(db, "select version from public.flyway_schema_history"))
        .containsExactly("200");
    assertThat(
            strings(
                db,
                "select table_name from information_schema.tables where table_schema = 'public'"))
        .containsExactly("flyway_schema_history");
  }

  /**
   * What data directories made before the registry had a schema of its own hold: V100 and V101, in
   * public.
   */
  private static void oldLayout(DataSource db) {
    Flyway.configure()
        .dataSource(db)
        .locations(RegistryDatabase.LOCATION)
        .target("101")
        .load()
        .migrate();
  }

  /** The versions of the registry's migration scripts, in order. */
  private static List<String> migrationVersions() throws java.io.IOException {
    try (var files =
        java.nio.file.Files.list(java.nio.file.Path.of("src/main/resources/db/registry"))) {
      return files
          .map(f -> f.getFileName().toString())
          .filter(n -> n.matches("V\\d+__.*\\.sql"))
          .map(n -> n.substring(1, n.indexOf("__")))
          .sorted(java.util.Comparator.comparingInt(Integer::parseInt))
          .toList();
    }
  }

  private static DataSource newDatabase() throws SQLException {
    var shared = TestBackends.shared();
    String name = "upgrade_" + UUID.randomUUID().toString().replace("-", "");
    try (Connection c =
            DriverManager.getConnection(
                shared.jdbcUrl(), shared.jdbcUsername(), shared.jdbcPassword());
        var s = c.createStatement()) {
      s.execute("create database " + name);
    }
    var ds = new PGSimpleDataSource();
    ds.setUrl(shared.jdbcUrl().replaceFirst("/[^/?]*(\\?|$)", "/" + name + "$1"));
    ds.setUser(shared.jdbcUsername());
    ds.setPassword(shared.jdbcPassword());
    return ds;
  }

  private static void execute(DataSource db, String sql) throws SQLException {
    try (var c = db.getConnection();
        var s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static List<String> strings(DataSource db, String sql) throws SQLException {
    try (var c = db.getConnection();
        var s = c.createStatement();
        var rows = s.executeQuery(sql)) {
      var out = new ArrayList<String>();
      while (rows.next()) {
        out.add(rows.getString(1));
      }
      return out;
    }
  }
}
