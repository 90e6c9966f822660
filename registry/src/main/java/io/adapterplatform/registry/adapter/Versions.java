package io.adapterplatform.registry.adapter;

import io.adapterplatform.registry.audit.AuditLog;
import io.adapterplatform.registry.auth.AdapterScopes;
import io.adapterplatform.registry.events.Outbox;
import io.adapterplatform.registry.events.RegistryEvent;
import io.adapterplatform.registry.problem.RegistryProblem;
import io.adapterplatform.registry.storage.BlobRows;
import io.adapterplatform.registry.storage.FileInfo;
import io.adapterplatform.web.page.Names;
import io.adapterplatform.web.problem.ApiException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import java.util.regex.Pattern;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Version rows: resolving references and committing new versions. Public because the mixlora
 * feature commits composed versions through it.
 */
@Component
public class Versions {

  private static final Pattern NUMBER = Pattern.compile("^[0-9]{1,9}$");

  /** An adapter as the mixlora feature sees it. */
  public record AdapterRef(long id, String name, long baseModelId) {}

  /** A stored version row. */
  public record VersionRow(
      long id,
      long adapterId,
      String adapter,
      int number,
      String kind,
      Integer rank,
      String targetModules,
      Integer numExperts,
      Integer topK,
      byte[] configJson,
      Instant createdAt,
      String createdBy,
      Instant deletedAt,
      String description,
      String lineageJson) {}

  /** A file of a new version: a committed blob, or generated on download. */
  /**
   * A file of a new version: {@code objectKey} is where an uploaded file's bytes lie (null: at the
   * content address, or nowhere for a generated file).
   */
  public record NewFile(FileInfo file, boolean generated, String objectKey) {
    public NewFile(FileInfo file, boolean generated) {
      this(file, generated, null);
    }
  }

  /** An expert of a composed version as its view names it. */
  record ExpertRef(String adapter, int number) {}

  /** A version row with what its view shows besides: read in the same statement as the row. */
  record Detailed(
      VersionRow row,
      long baseModelId,
      List<FileInfo> files,
      List<String> aliases,
      Map<String, String> tags,
      List<ExpertRef> experts) {}

  /**
   * The columns a version's view needs beyond {@code v.*}, as arrays so that a page of versions
   * costs one statement rather than five per version. Files and aliases keep the order of their
   * names; experts (expert index 0 and up, never the attention LoRA) the order of their index.
   */
  static final String DETAILS =
      """
      (select a.base_model_id from adapter a where a.id = v.adapter_id) as detail_base_model_id,
      array(select f.name from version_file f where f.version_id = v.id order by f.name) as detail_file_names,
      array(select f.sha256 from version_file f where f.version_id = v.id order by f.name) as detail_file_sha256s,
      array(select f.size from version_file f where f.version_id = v.id order by f.name) as detail_file_sizes,
      array(select al.name from alias al where al.version_id = v.id order by al.name) as detail_aliases,
      array(select t.key from version_tag t where t.version_id = v.id order by t.key) as detail_tag_keys,
      array(select t.value from version_tag t where t.version_id = v.id order by t.key) as detail_tag_values,
      array(select sa.name from mixlora_source s join adapter_version sv on sv.id = s.source_version_id
        join adapter sa on sa.id = sv.adapter_id where s.version_id = v.id and s.expert_index >= 0
        order by s.expert_index) as detail_expert_adapters,
      array(select sv.number from mixlora_source s join adapter_version sv on sv.id = s.source_version_id
        where s.version_id = v.id and s.expert_index >= 0 order by s.expert_index) as detail_expert_numbers""";

  /** A LoRA version a composed version uses; expert index -1 is the attention LoRA. */
  public record Source(int expertIndex, long versionId) {}

  /** What a new version consists of; its number is allocated at commit. */
  public record NewVersion(
      String kind,
      byte[] configJson,
      Integer rank,
      List<String> targetModules,
      Integer numExperts,
      Integer topK,
      String composeJson,
      List<NewFile> files,
      List<Source> sources,
      VersionMetadata.Checked metadata) {}

  private static final int MAX_REMEMBERED_ADAPTERS = 100_000;

  private final Map<String, AdapterRef> committedAdapters = new ConcurrentHashMap<>();
  private final JdbcClient jdbc;
  private final BlobRows blobs;
  private final Outbox outbox;
  private final AuditLog audit;

  Versions(JdbcClient jdbc, BlobRows blobs, Outbox outbox, AuditLog audit) {
    this.jdbc = jdbc;
    this.blobs = blobs;
    this.outbox = outbox;
    this.audit = audit;
  }

  /**
   * The adapter named {@code name}, or 404. Adapter rows are never deleted or renamed and never
   * change base model, so a row read outside any transaction (hence committed) stays true for the
   * life of the process: remembered, it saves every later read of that adapter a round trip to
   * PostgreSQL. Inside a transaction the row may be that transaction's own insert, which a rollback
   * would undo: read, but not remembered. Absent names are never remembered.
   */
  public AdapterRef adapter(String name) {
    Names.require("name", name);
    AdapterScopes.requireVisible(name);
    var known = committedAdapters.get(name);
    if (known != null) {
      return known;
    }
    var found =
        jdbc.sql("select id, name, base_model_id from adapter where name = ?")
            .param(name)
            .query((rs, i) -> new AdapterRef(rs.getLong(1), rs.getString(2), rs.getLong(3)))
            .optional()
            .orElseThrow(() -> ApiException.notFound("adapter '" + name + "'"));
    if (!TransactionSynchronizationManager.isActualTransactionActive()) {
      if (committedAdapters.size() >= MAX_REMEMBERED_ADAPTERS) {
        committedAdapters.clear(); // a bound on memory, not an eviction policy: rows stay true
      }
      committedAdapters.put(name, found);
    }
    return found;
  }

  /**
   * Resolves a version number or an alias: 404 when it never existed, 410 when the version was
   * deleted. With {@code lockShared} the row is locked FOR SHARE so that it cannot be deleted
   * before the caller's transaction commits (alias moves, compositions).
   */
  public VersionRow resolve(AdapterRef adapter, String ref, boolean lockShared) {
    return resolve(
        adapter,
        ref,
        lockShared ? " for share of v" : "",
        "",
        Versions::row,
        VersionRow::deletedAt,
        VersionRow::number);
  }

  /** {@link #resolve} with everything the version's view shows, in the same statement. */
  Detailed resolveDetailed(AdapterRef adapter, String ref) {
    return resolve(
        adapter,
        ref,
        "",
        ", " + DETAILS,
        Versions::detailed,
        d -> d.row().deletedAt(),
        d -> d.row().number());
  }

  private <T> T resolve(
      AdapterRef adapter,
      String ref,
      String lock,
      String columns,
      RowMapper<T> mapper,
      Function<T, Instant> deletedAt,
      ToIntFunction<T> number) {
    Optional<T> row;
    if (NUMBER.matcher(ref).matches()) {
      row =
          jdbc.sql(
                  "select v.*, ? as adapter_name"
                      + columns
                      + " from adapter_version v where v.adapter_id = ? and v.number = ?"
                      + lock)
              .params(adapter.name(), adapter.id(), Integer.parseInt(ref))
              .query(mapper)
              .optional();
    } else {
      Names.require("ref", ref);
      row =
          jdbc.sql(
                  "select v.*, ? as adapter_name"
                      + columns
                      + """
           from alias al join adapter_version v on v.id = al.version_id
          where al.adapter_id = ? and al.name = ?"""
                      + lock)
              .params(adapter.name(), adapter.id(), ref)
              .query(mapper)
              .optional();
    }
    var v =
        row.orElseThrow(
            () ->
                ApiException.notFound("version '" + ref + "' of adapter '" + adapter.name() + "'"));
    if (deletedAt.apply(v) != null) {
      throw RegistryProblem.VERSION_DELETED.exception(
          "version " + number.applyAsInt(v) + " of adapter '" + adapter.name() + "' was deleted");
    }
    return v;
  }

  /** What the view of a version row shows besides the row. */
  Detailed detailed(VersionRow row) {
    return jdbc.sql(
            "select v.*, ? as adapter_name, " + DETAILS + " from adapter_version v where v.id = ?")
        .params(row.adapter(), row.id())
        .query(Versions::detailed)
        .single();
  }

  static Detailed detailed(ResultSet rs, int i) throws SQLException {
    String[] fileNames = array(rs, "detail_file_names", String[].class);
    String[] sha256s = array(rs, "detail_file_sha256s", String[].class);
    Long[] sizes = array(rs, "detail_file_sizes", Long[].class);
    var files = new ArrayList<FileInfo>(fileNames.length);
    for (int f = 0; f < fileNames.length; f++) {
      files.add(new FileInfo(fileNames[f], sha256s[f], sizes[f]));
    }
    String[] keys = array(rs, "detail_tag_keys", String[].class);
    String[] values = array(rs, "detail_tag_values", String[].class);
    var tags = new TreeMap<String, String>();
    for (int t = 0; t < keys.length; t++) {
      tags.put(keys[t], values[t]);
    }
    String[] expertAdapters = array(rs, "detail_expert_adapters", String[].class);
    Integer[] expertNumbers = array(rs, "detail_expert_numbers", Integer[].class);
    var experts = new ArrayList<ExpertRef>(expertAdapters.length);
    for (int e = 0; e < expertAdapters.length; e++) {
      experts.add(new ExpertRef(expertAdapters[e], expertNumbers[e]));
    }
    return new Detailed(
        row(rs, i),
        rs.getLong("detail_base_model_id"),
        files,
        List.of(array(rs, "detail_aliases", String[].class)),
        tags,
        experts);
  }

  private static <T> T array(ResultSet rs, String column, Class<T> type) throws SQLException {
    var array = rs.getArray(column);
    try {
      return type.cast(array.getArray());
    } finally {
      array.free();
    }
  }

  /**
   * Commits a version whose blobs already lie in the object store: allocates its number under the
   * adapter's row lock (gap-free, never reused), writes every row, the outbox event and the audit
   * row in the caller's transaction.
   */
  @Transactional(propagation = Propagation.MANDATORY)
  public VersionRow commit(String actor, AdapterRef adapter, NewVersion v) {
    int number =
        jdbc.sql(
                "update adapter set next_version = next_version + 1 where id = ? returning next_version - 1")
            .param(adapter.id())
            .query(Integer.class)
            .single();
    long id =
        jdbc.sql(
                """
        insert into adapter_version (adapter_id, number, kind, rank, target_modules, num_experts, top_k, config_json,
          compose_json, created_by, description, lineage) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, cast(? as jsonb))
        returning id""")
            .params(
                adapter.id(),
                number,
                v.kind(),
                v.rank(),
                v.targetModules() == null ? null : String.join(",", v.targetModules()),
                v.numExperts(),
                v.topK(),
                v.configJson(),
                v.composeJson(),
                actor,
                v.metadata().description(),
                v.metadata().lineageJson())
            .query(Long.class)
            .single();
    v.metadata()
        .tags()
        .forEach(
            (key, value) ->
                jdbc.sql("insert into version_tag (version_id, key, value) values (?, ?, ?)")
                    .params(id, key, value)
                    .update());
    for (var f : v.files()) {
      if (!f.generated()) {
        blobs.record(f.file(), f.objectKey());
      }
      jdbc.sql(
              "insert into version_file (version_id, name, sha256, size, generated) values (?, ?, ?, ?, ?)")
          .params(id, f.file().name(), f.file().sha256(), f.file().size(), f.generated())
          .update();
    }
    for (var s : v.sources()) {
      jdbc.sql(
              "insert into mixlora_source (version_id, expert_index, source_version_id) values (?, ?, ?)")
          .params(id, s.expertIndex(), s.versionId())
          .update();
    }
    outbox.append(new RegistryEvent.VersionPublished(adapter.name(), number, v.kind()));
    audit.record(
        actor,
        "version.publish",
        "adapter/" + adapter.name() + "/versions/" + number,
        "kind=" + v.kind());
    return resolve(adapter, Integer.toString(number), false);
  }

  public Map<String, String> tags(long versionId) {
    var tags = new java.util.TreeMap<String, String>();
    jdbc.sql("select key, value from version_tag where version_id = ?")
        .param(versionId)
        .query(
            rs -> {
              tags.put(rs.getString(1), rs.getString(2));
            });
    return tags;
  }

  /**
   * The live (not deleted) versions of an adapter, newest first: what the Hugging Face protocol
   * lists.
   */
  public List<VersionRow> live(AdapterRef adapter) {
    return jdbc.sql(
            """
        select v.*, ? as adapter_name from adapter_version v where v.adapter_id = ? and v.deleted_at is null
        order by v.number desc""")
        .params(adapter.name(), adapter.id())
        .query(Versions::row)
        .list();
  }

  /** The newest live version of an adapter, if it has one. */
  public Optional<VersionRow> latest(AdapterRef adapter) {
    return jdbc.sql(
            """
        select v.*, ? as adapter_name from adapter_version v where v.adapter_id = ? and v.deleted_at is null
        order by v.number desc limit 1""")
        .params(adapter.name(), adapter.id())
        .query(Versions::row)
        .optional();
  }

  public List<FileInfo> files(long versionId) {
    return jdbc.sql(
            "select name, sha256, size from version_file where version_id = ? order by name")
        .param(versionId)
        .query((rs, i) -> new FileInfo(rs.getString(1), rs.getString(2), rs.getLong(3)))
        .list();
  }

  /** A file of a version and whether it is generated on download. */
  public Optional<NewFile> file(long versionId, String name) {
    return jdbc.sql(
            "select name, sha256, size, generated from version_file where version_id = ? and name = ?")
        .params(versionId, name)
        .query(
            (rs, i) ->
                new NewFile(
                    new FileInfo(rs.getString(1), rs.getString(2), rs.getLong(3)),
                    rs.getBoolean(4)))
        .optional();
  }

  /** The sources of a composed version, by expert index (-1: attention). */
  public List<Source> sources(long versionId) {
    return jdbc.sql(
            "select expert_index, source_version_id from mixlora_source where version_id = ? order by expert_index")
        .param(versionId)
        .query((rs, i) -> new Source(rs.getInt(1), rs.getLong(2)))
        .list();
  }

  /** The recipe a composed version was made from (null for uploaded versions). */
  public String composeJson(long versionId) {
    return jdbc.sql("select compose_json from adapter_version where id = ?")
        .param(versionId)
        .query(String.class)
        .single();
  }

  public long adapterBaseModel(long adapterId) {
    return jdbc.sql("select base_model_id from adapter where id = ?")
        .param(adapterId)
        .query(Long.class)
        .single();
  }

  public VersionRow byId(long versionId) {
    return jdbc.sql(
            "select v.*, a.name as adapter_name from adapter_version v join adapter a on a.id = v.adapter_id where v.id = ?")
        .param(versionId)
        .query(Versions::row)
        .single();
  }

  static VersionRow row(ResultSet rs, int i) throws SQLException {
    var deleted = rs.getObject("deleted_at", OffsetDateTime.class);
    return new VersionRow(
        rs.getLong("id"),
        rs.getLong("adapter_id"),
        rs.getString("adapter_name"),
        rs.getInt("number"),
        rs.getString("kind"),
        (Integer) rs.getObject("rank"),
        rs.getString("target_modules"),
        (Integer) rs.getObject("num_experts"),
        (Integer) rs.getObject("top_k"),
        rs.getBytes("config_json"),
        rs.getObject("created_at", OffsetDateTime.class).toInstant(),
        rs.getString("created_by"),
        deleted == null ? null : deleted.toInstant(),
        rs.getString("description"),
        rs.getString("lineage"));
  }
}
