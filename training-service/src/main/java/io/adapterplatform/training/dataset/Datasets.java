package io.adapterplatform.training.dataset;

import io.adapterplatform.web.auth.Caller;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/** The {@code training.dataset} table; the job feature asks it whether a dataset exists. */
@Component
public class Datasets {

  private static final String COLUMNS =
      "name, version, sha256, size, records, tokens, tokens_base_model, created_at";

  private final JdbcClient jdbc;

  Datasets(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  /** The version {@code version} of {@code name}, if it exists and {@code caller} sees it. */
  public Optional<Dataset> find(Caller caller, String name, int version) {
    if (!caller.sees(name)) {
      return Optional.empty();
    }
    return jdbc.sql("select " + COLUMNS + " from training.dataset where name = ? and version = ?")
        .params(name, version)
        .query(Datasets::row)
        .optional();
  }

  /**
   * Records the next version of {@code name}; versions of one name never share a number. {@code
   * tokens} were counted with {@code tokensBaseModel}'s tokenizer (both null: not counted).
   */
  @Transactional
  public Dataset insert(
      String name,
      String sha256,
      long size,
      long records,
      @Nullable Long tokens,
      @Nullable String tokensBaseModel,
      String key,
      String actor) {
    // Serialises the uploads of one name, so that max + 1 is free.
    jdbc.sql("select pg_advisory_xact_lock(hashtext('training.dataset:' || ?))")
        .param(name)
        .query(Object.class)
        .single();
    return jdbc.sql(
            """
        insert into training.dataset (name, version, sha256, size, records, tokens,
                                      tokens_base_model, object_key, created_by)
        select ?, coalesce(max(version), 0) + 1, ?, ?, ?, ?::bigint, ?::text, ?, ? from training.dataset
         where name = ?
        returning\s"""
                + COLUMNS)
        .params(name, sha256, size, records, tokens, tokensBaseModel, key, actor, name)
        .query(Datasets::row)
        .single();
  }

  List<Dataset> page(Caller caller, String afterName, int afterVersion, int limit) {
    return jdbc.sql(
            "select "
                + COLUMNS
                + """
         from training.dataset
        where (name, version) > (?, ?)
          and (cardinality(?::text[]) = 0 or exists
               (select 1 from unnest(?::text[]) p where starts_with(name, p)))
        order by name, version
        limit ?""")
        .params(afterName, afterVersion, scopes(caller), scopes(caller), limit)
        .query(Datasets::row)
        .list();
  }

  private static String[] scopes(Caller caller) {
    return caller.scopes().toArray(String[]::new);
  }

  private static Dataset row(ResultSet rs, int i) throws SQLException {
    return new Dataset(
        rs.getString("name"),
        rs.getInt("version"),
        rs.getString("sha256"),
        rs.getLong("size"),
        rs.getLong("records"),
        rs.getObject("tokens", Long.class),
        rs.getString("tokens_base_model"),
        rs.getObject("created_at", OffsetDateTime.class).toInstant());
  }
}
