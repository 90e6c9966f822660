package io.adapterplatform.registry.adapter;

import io.adapterplatform.engine.format.AdapterConfig;
import io.adapterplatform.engine.format.AdapterLayout;
import io.adapterplatform.engine.format.ModelConfig;
import io.adapterplatform.registry.audit.AuditLog;
import io.adapterplatform.registry.auth.AdapterScopes;
import io.adapterplatform.registry.basemodel.BaseModelCatalog;
import io.adapterplatform.registry.events.Outbox;
import io.adapterplatform.registry.events.RegistryEvent;
import io.adapterplatform.registry.idempotency.Idempotency;
import io.adapterplatform.registry.problem.RegistryProblem;
import io.adapterplatform.registry.storage.AcceptedFiles;
import io.adapterplatform.registry.storage.Downloads;
import io.adapterplatform.registry.storage.StagedFile;
import io.adapterplatform.registry.storage.Uploads;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.auth.Role;
import io.adapterplatform.web.page.Cursors;
import io.adapterplatform.web.problem.ApiException;
import jakarta.servlet.http.HttpServletRequest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;
import tools.jackson.databind.JsonNode;

@Service
class VersionService implements VersionViews {

  static final String CONFIG = "adapter_config.json";
  static final String WEIGHTS = "adapter_model.safetensors";
  static final String METADATA = "metadata";

  private final JdbcClient jdbc;
  private final TransactionTemplate tx;
  private final Versions versions;
  private final Uploads uploads;
  private final BaseModelCatalog baseModels;
  private final Downloads downloads;
  private final Outbox outbox;
  private final AuditLog audit;
  private final ObjectProvider<GeneratedContent> generated;
  private final Idempotency idempotency;

  VersionService(
      JdbcClient jdbc,
      TransactionTemplate tx,
      Versions versions,
      Uploads uploads,
      BaseModelCatalog baseModels,
      Downloads downloads,
      Outbox outbox,
      AuditLog audit,
      ObjectProvider<GeneratedContent> generated,
      Idempotency idempotency) {
    this.idempotency = idempotency;
    this.jdbc = jdbc;
    this.tx = tx;
    this.versions = versions;
    this.uploads = uploads;
    this.baseModels = baseModels;
    this.downloads = downloads;
    this.outbox = outbox;
    this.audit = audit;
    this.generated = generated;
  }

  /** Stream to the object store (hashed, header parsed) → validate → one transaction of rows. */
  Adapters.AdapterVersion publish(Caller caller, String name, HttpServletRequest request) {
    caller.require(Role.PUBLISHER);
    var adapter = versions.adapter(name);
    try (var upload =
        uploads.stage(
            request,
            Map.of(METADATA, VersionMetadata.MAX_BYTES),
            Set.of(METADATA),
            AcceptedFiles.ADAPTER_VERSION)) {
      idempotency.claim(request, upload.digest());
      var metadata =
          Optional.ofNullable(upload.fields().get(METADATA))
              .map(VersionMetadata::parsePart)
              .orElse(VersionMetadata.Checked.NONE);
      StagedFile config =
          upload
              .file(CONFIG)
              .orElseThrow(() -> ApiException.invalidField("files", CONFIG + " is required"));
      StagedFile weights =
          upload
              .file(WEIGHTS)
              .orElseThrow(() -> ApiException.invalidField("files", WEIGHTS + " is required"));
      AdapterConfig cfg = AdapterConfig.parse(config.content(), CONFIG);
      ModelConfig model = baseModels.findById(adapter.baseModelId()).orElseThrow().config();
      AdapterLayout layout = AdapterLayout.validate(cfg, weights.header(), model, WEIGHTS);
      var files =
          upload.files().stream()
              .map(f -> new Versions.NewFile(f.stored(), false, f.stagingKey()))
              .toList();
      boolean mix = layout.kind() == io.adapterplatform.engine.format.AdapterKind.MIXLORA;
      var v =
          new Versions.NewVersion(
              layout.kind().name(),
              config.content(),
              mix ? layout.expertRank() : layout.rank(),
              layout.targetModules(),
              mix ? layout.numExperts() : null,
              mix ? cfg.topK() : null,
              null,
              files,
              List.of(),
              metadata);
      var row = tx.execute(status -> versions.commit(caller.actor(), adapter, v));
      return view(row);
    }
  }

  /**
   * Two statements whatever the page size: the adapter, then the page with every item's files,
   * aliases, tags and experts. No transaction: under READ COMMITTED it would give the two
   * statements no common snapshot anyway, only a BEGIN and a COMMIT more.
   */
  Adapters.VersionPage list(
      Caller caller, String name, Integer limit, String cursor, List<String> tagFilters) {
    caller.require(Role.READER);
    var adapter = versions.adapter(name);
    int n = Cursors.limit(limit);
    long after = cursor == null ? 0 : Cursors.decodeLong(cursor);
    var tags = tagFilterList(tagFilters);
    var sql =
        new StringBuilder(
            """
        select v.*, ? as adapter_name, """
                + Versions.DETAILS
                + """
         from adapter_version v
        where v.adapter_id = ? and v.deleted_at is null and v.number > ?""");
    var params = new ArrayList<Object>(List.of(adapter.name(), adapter.id(), after));
    for (var tag : tags) {
      sql.append(
          " and exists (select 1 from version_tag t where t.version_id = v.id and t.key = ? and t.value = ?)");
      params.add(tag.getKey());
      params.add(tag.getValue());
    }
    sql.append(" order by v.number limit ?");
    params.add(n + 1);
    var rows = jdbc.sql(sql.toString()).params(params).query(Versions::detailed).list();
    var items = rows.stream().limit(n).map(this::view).toList();
    return new Adapters.VersionPage(items, Cursors.next(rows, n, r -> r.row().number()));
  }

  /**
   * {@code key:value} filters, ANDed; the same key twice with two values matches nothing, as it
   * should.
   */
  private static List<Map.Entry<String, String>> tagFilterList(List<String> filters) {
    var out = new ArrayList<Map.Entry<String, String>>();
    if (filters == null) {
      return out;
    }
    if (filters.size() > VersionMetadata.MAX_TAG_FILTERS) {
      throw ApiException.invalidField(
          "tag", "at most " + VersionMetadata.MAX_TAG_FILTERS + " tag filters");
    }
    for (String f : filters) {
      int colon = f.indexOf(':');
      if (colon < 0) {
        throw ApiException.invalidField("tag", "'" + f + "' must be 'key:value'");
      }
      String key = VersionMetadata.tagKey(f.substring(0, colon), "tag");
      out.add(Map.entry(key, VersionMetadata.tagValue(f.substring(colon + 1), "tag")));
    }
    return out;
  }

  /**
   * Two statements (the adapter, then the version with its details), no transaction: see {@link
   * #list}.
   */
  Adapters.AdapterVersion get(Caller caller, String name, String ref) {
    caller.require(Role.READER);
    return view(versions.resolveDetailed(versions.adapter(name), ref));
  }

  /**
   * Applies a JSON merge patch (RFC 7396) to the mutable metadata: {@code description} and {@code
   * tags}. The version row is locked for the transaction so that two patches of the same version
   * apply one after the other. Touching {@code lineage} is a 422 ({@code lineage-immutable}): it is
   * well-formed, but records history.
   */
  @Transactional
  Adapters.AdapterVersion patch(Caller caller, String name, String ref, JsonNode patch) {
    caller.require(Role.PUBLISHER);
    var adapter = versions.adapter(name);
    if (patch == null || !patch.isObject()) {
      throw ApiException.badRequest(
          "malformed-json", "a merge patch of a version is a JSON object");
    }
    for (String field : patch.propertyNames()) {
      if (field.equals("lineage")) {
        throw ApiException.unprocessable(
            "lineage-immutable",
            "the lineage of a version is set at publish and never "
                + "changes; publish a new version instead",
            List.of(new ApiException.FieldError("lineage", "is immutable")));
      }
      if (!field.equals("description") && !field.equals("tags")) {
        throw ApiException.badRequest(
            "unknown-field",
            field
                + ": is not a property a patch may change; known "
                + "properties: [description, tags]",
            new ApiException.FieldError(field, "cannot be patched"));
      }
    }
    var v = versions.resolve(adapter, ref, false);
    jdbc.sql("select id from adapter_version where id = ? for update")
        .param(v.id())
        .query(Long.class)
        .single();
    if (patch.has("description")) {
      JsonNode d = patch.get("description");
      if (!d.isNull() && !d.isString()) {
        throw ApiException.invalidField("description", "must be a string or null");
      }
      String description =
          VersionMetadata.description(d.isNull() ? null : d.asString(), "description");
      jdbc.sql("update adapter_version set description = ? where id = ?")
          .params(description, v.id())
          .update();
    }
    if (patch.has("tags")) {
      JsonNode t = patch.get("tags");
      if (t.isNull()) {
        jdbc.sql("delete from version_tag where version_id = ?").param(v.id()).update();
      } else if (!t.isObject()) {
        throw ApiException.invalidField(
            "tags", "must be an object of string values (null removes a tag)");
      } else {
        for (var e : t.properties()) {
          String key = VersionMetadata.tagKey(e.getKey(), "tags");
          if (e.getValue().isNull()) {
            jdbc.sql("delete from version_tag where version_id = ? and key = ?")
                .params(v.id(), key)
                .update();
          } else if (!e.getValue().isString()) {
            throw ApiException.invalidField(
                "tags." + key, "tag values are strings (null removes the tag)");
          } else {
            String value = VersionMetadata.tagValue(e.getValue().asString(), "tags." + key);
            jdbc.sql(
                    """
                insert into version_tag (version_id, key, value) values (?, ?, ?)
                on conflict (version_id, key) do update set value = excluded.value""")
                .params(v.id(), key, value)
                .update();
          }
        }
        int count =
            jdbc.sql("select count(*) from version_tag where version_id = ?")
                .param(v.id())
                .query(Integer.class)
                .single();
        VersionMetadata.tagCount(count, "tags");
      }
    }
    audit.record(
        caller.actor(),
        "version.update",
        "adapter/" + name + "/versions/" + v.number(),
        "fields=" + String.join(",", patch.propertyNames()));
    return view(versions.byId(v.id()));
  }

  /**
   * Deletes by number. The version row is locked first (UPDATE), then references are checked in the
   * same transaction: an alias move or a composition that locked it FOR SHARE either committed
   * before (and is seen: 409) or waits and then finds it deleted (410).
   */
  @Transactional
  void delete(Caller caller, String name, String ref) {
    caller.require(Role.PUBLISHER);
    var adapter = versions.adapter(name);
    if (!ref.matches("^[0-9]{1,9}$")) {
      throw ApiException.invalidField("ref", "versions are deleted by number, not by alias");
    }
    var v = versions.resolve(adapter, ref, false);
    int updated =
        jdbc.sql(
                "update adapter_version set deleted_at = now(), deleted_by = ? where id = ? and deleted_at is null")
            .params(caller.actor(), v.id())
            .update();
    if (updated == 0) {
      throw RegistryProblem.VERSION_DELETED.exception(
          "version " + v.number() + " of adapter '" + name + "' was deleted");
    }
    var aliases =
        jdbc.sql("select name from alias where version_id = ? order by name")
            .param(v.id())
            .query(String.class)
            .list();
    if (!aliases.isEmpty()) {
      throw ApiException.conflict(
          "version-in-use",
          "version "
              + v.number()
              + " is the target of alias(es) "
              + aliases
              + "; move or delete them first");
    }
    var users =
        jdbc.sql(
                """
        select a.name || '@' || u.number from mixlora_source s join adapter_version u on u.id = s.version_id
        join adapter a on a.id = u.adapter_id where s.source_version_id = ? and u.deleted_at is null order by 1""")
            .param(v.id())
            .query(String.class)
            .list();
    if (!users.isEmpty()) {
      throw ApiException.conflict(
          "version-in-use",
          "version " + v.number() + " is an expert of MixLoRA version(s) " + users);
    }
    outbox.append(new RegistryEvent.VersionDeleted(name, v.number()));
    audit.record(
        caller.actor(), "version.delete", "adapter/" + name + "/versions/" + v.number(), null);
  }

  ResponseEntity<StreamingResponseBody> download(
      Caller caller, String name, String ref, String file, String range, String ifNoneMatch) {
    caller.require(Role.READER);
    var v = versions.resolve(versions.adapter(name), ref, false);
    var f =
        versions
            .file(v.id(), file)
            .orElseThrow(
                () -> ApiException.notFound("file '" + file + "' of " + name + "@" + v.number()));
    if (f.generated()) {
      var source = generated.getObject();
      return downloads.serve(f.file(), range, ifNoneMatch, () -> source.open(v.id(), file));
    }
    return downloads.blob(f.file(), range, ifNoneMatch);
  }

  /**
   * Every file of a version as one tar, flat (unpacked into a directory, it is what PEFT loads).
   * The ETag hashes the files' names and sha256s: the same for every download of a version, and
   * different for two versions unless they hold the very same files.
   */
  ResponseEntity<StreamingResponseBody> archive(
      Caller caller, String name, String ref, String ifNoneMatch) {
    caller.require(Role.READER);
    var v = versions.resolve(versions.adapter(name), ref, false);
    var digest = new StringBuilder();
    var entries = new ArrayList<Downloads.ArchiveEntry>();
    for (var f : versions.files(v.id())) {
      digest.append(f.name()).append('\0').append(f.sha256()).append('\n');
      boolean isGenerated = versions.file(v.id(), f.name()).orElseThrow().generated();
      entries.add(
          isGenerated
              ? new Downloads.ArchiveEntry(f, () -> generated.getObject().open(v.id(), f.name()))
              : downloads.stored(f));
    }
    String etag = "\"tar-" + sha256Hex(digest.toString()) + "\"";
    return downloads.archive(
        entries, etag, v.adapter() + "-v" + v.number() + ".tar", v.createdAt(), ifNoneMatch);
  }

  private static String sha256Hex(String text) {
    try {
      return java.util.HexFormat.of()
          .formatHex(
              java.security.MessageDigest.getInstance("SHA-256")
                  .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public Adapters.AdapterVersion view(Versions.VersionRow v) {
    return view(versions.detailed(v));
  }

  /**
   * Base model names come from the base-model feature's (cached) catalog, not from a join on its
   * table.
   */
  private Adapters.AdapterVersion view(Versions.Detailed d) {
    var v = d.row();
    // A source outside the caller's scopes does not exist for it: left out of composedFrom.
    var sources =
        d.experts().stream()
            .filter(e -> AdapterScopes.visible(e.adapter()))
            .map(e -> new Adapters.ExpertSource(e.adapter(), e.number()))
            .toList();
    String base = baseModels.findById(d.baseModelId()).orElseThrow().name();
    List<String> targets =
        Optional.ofNullable(v.targetModules())
            .filter(s -> !s.isEmpty())
            .map(s -> Arrays.asList(s.split(",")))
            .orElse(List.of());
    return new Adapters.AdapterVersion(
        v.adapter(),
        v.number(),
        Adapters.AdapterKind.valueOf(v.kind()),
        base,
        d.files(),
        d.aliases(),
        v.rank(),
        targets,
        v.numExperts(),
        v.topK(),
        sources.isEmpty() ? null : sources,
        v.description(),
        d.tags(),
        VersionMetadata.lineageOf(v.lineageJson()),
        v.createdBy(),
        v.createdAt());
  }
}
