package io.adapterplatform.registry;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.sql.init.dependency.DatabaseInitializationDependencyConfigurer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * The registry's schema ({@code registry}) and its own Flyway history ({@code
 * registry.flyway_schema_history}, migrations under {@code db/registry}, numbered 100-199). Other
 * services keep their own schema and history in the same database, so no service depends on
 * another's migration order. The registry's SQL names its tables unqualified: the connections'
 * search path is {@code registry} ({@code spring.datasource.hikari.schema} in registry.yml). JPA
 * and JDBC beans wait for this migration (Boot orders them after every Flyway bean).
 */
@Configuration(proxyBeanMethods = false)
@Import(DatabaseInitializationDependencyConfigurer.class)
class RegistryDatabase {

  static final String SCHEMA = "registry";
  static final String LOCATION = "classpath:db/registry";
  private static final Logger log = LoggerFactory.getLogger(RegistryDatabase.class);

  /**
   * The tables of V100 and V101, which data directories made before the registry had a schema of
   * its own hold in {@code public}, with their history in {@code public.flyway_schema_history}.
   */
  static final List<String> TABLES_BEFORE_SCHEMA =
      List.of(
          "api_token",
          "blob",
          "base_model",
          "base_model_file",
          "adapter",
          "adapter_label",
          "adapter_version",
          "version_file",
          "mixlora_source",
          "alias",
          "alias_move",
          "outbox",
          "audit_log");

  @Bean
  Flyway registryFlyway(DataSource dataSource) {
    return migrate(dataSource);
  }

  /**
   * Adopts tables left in {@code public} by an older version, then migrates the registry's schema.
   */
  static Flyway migrate(DataSource dataSource) {
    var adopted = adoptPublicTables(dataSource);
    var config =
        Flyway.configure()
            .dataSource(dataSource)
            .schemas(SCHEMA)
            .defaultSchema(SCHEMA)
            .createSchemas(true)
            .table("flyway_schema_history")
            .locations(LOCATION);
    // The adopted tables are those of the versions applied in public: the new history starts from
    // the last one.
    adopted.ifPresent(
        version ->
            config
                .baselineOnMigrate(true)
                .baselineVersion(version)
                .baselineDescription("registry tables adopted from schema public"));
    Flyway flyway = config.load();
    flyway.migrate();
    return flyway;
  }

  /**
   * When the registry's migrations ran in {@code public} (a data directory of an earlier version)
   * and the registry schema has no history yet: moves those tables into {@code registry} (their
   * indexes, constraints and identity sequences move with them), removes the registry's rows from
   * {@code public.flyway_schema_history} (and the table once it is empty), all in one transaction.
   * Returns the last registry version applied there.
   */
  static Optional<String> adoptPublicTables(DataSource dataSource) {
    try (Connection c = dataSource.getConnection()) {
      if (exists(c, SCHEMA, "flyway_schema_history")
          || !exists(c, "public", "flyway_schema_history")) {
        return Optional.empty();
      }
      Integer last = null;
      try (var s = c.createStatement();
          var rows =
              s.executeQuery(
                  "select version from public.flyway_schema_history where success and version ~ '^1[0-9][0-9]$'")) {
        while (rows.next()) {
          int version = Integer.parseInt(rows.getString(1));
          last = last == null ? version : Math.max(last, version);
        }
      }
      if (last == null) {
        return Optional.empty();
      }
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      try (var s = c.createStatement()) {
        s.execute("create schema if not exists " + SCHEMA);
        for (String table : TABLES_BEFORE_SCHEMA) {
          if (exists(c, "public", table)) {
            s.execute("alter table public." + table + " set schema " + SCHEMA);
          }
        }
        s.execute("delete from public.flyway_schema_history where version ~ '^1[0-9][0-9]$'");
        try (var rows = s.executeQuery("select count(*) from public.flyway_schema_history")) {
          rows.next();
          if (rows.getLong(1) == 0) {
            s.execute("drop table public.flyway_schema_history");
          }
        }
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(autoCommit);
      }
      log.info(
          "registry tables moved from schema public into schema {} (migrations up to V{})",
          SCHEMA,
          last);
      return Optional.of(String.valueOf(last));
    } catch (SQLException e) {
      throw new IllegalStateException(
          "could not adopt the registry's tables from schema public", e);
    }
  }

  private static boolean exists(Connection c, String schema, String table) throws SQLException {
    try (var s = c.prepareStatement("select to_regclass(?) is not null")) {
      s.setString(1, schema + "." + table);
      try (var rows = s.executeQuery()) {
        rows.next();
        return rows.getBoolean(1);
      }
    }
  }
}
