package io.adapterplatform.registry.adapter;

import io.adapterplatform.engine.format.AdapterConfig;
import io.adapterplatform.engine.format.AdapterLayout;
import io.adapterplatform.engine.format.ModelConfig;
import io.adapterplatform.registry.audit.AuditLog;
import io.adapterplatform.registry.auth.Caller;
import io.adapterplatform.registry.auth.Role;
import io.adapterplatform.registry.basemodel.BaseModelCatalog;
import io.adapterplatform.registry.events.Outbox;
import io.adapterplatform.registry.problem.ApiException;
import io.adapterplatform.registry.storage.AcceptedFiles;
import io.adapterplatform.registry.storage.BlobRows;
import io.adapterplatform.registry.storage.Cursors;
import io.adapterplatform.registry.storage.Downloads;
import io.adapterplatform.registry.storage.StagedFile;
import io.adapterplatform.registry.storage.Uploads;
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

@Service
class VersionService implements VersionViews {

  static final String CONFIG = "adapter_config.json";
  static final String WEIGHTS = "adapter_model.safetensors";

  private final JdbcClient jdbc;
  private final TransactionTemplate tx;
  private final Versions versions;
  private final Uploads uploads;
  private final BlobRows blobs;
  private final BaseModelCatalog baseModels;
  private final Downloads downloads;
  private final Outbox outbox;
  private final AuditLog audit;
  private final ObjectProvider<GeneratedContent> generated;

  VersionService(JdbcClient jdbc, TransactionTemplate tx, Versions versions, Uploads uploads, BlobRows blobs,
      BaseModelCatalog baseModels, Downloads downloads, Outbox outbox, AuditLog audit,
      ObjectProvider<GeneratedContent> generated) {
    this.jdbc = jdbc;
    this.tx = tx;
    this.versions = versions;
    this.uploads = uploads;
    this.blobs = blobs;
    this.baseModels = baseModels;
    this.downloads = downloads;
    this.outbox = outbox;
    this.audit = audit;
    this.generated = generated;
  }

  /** Stage (streamed, hashed, header parsed) → validate → promote blobs → one transaction of rows. */
  Adapters.AdapterVersion publish(Caller caller, String name, HttpServletRequest request) {
    caller.require(Role.PUBLISHER);
    var adapter = versions.adapter(name);
    try (var upload = uploads.stage(request, Set.of(), AcceptedFiles.ADAPTER_VERSION)) {
      StagedFile config = upload.file(CONFIG)
          .orElseThrow(() -> ApiException.invalidField("files", CONFIG + " is required"));
      StagedFile weights = upload.file(WEIGHTS)
          .orElseThrow(() -> ApiException.invalidField("files", WEIGHTS + " is required"));
      AdapterConfig cfg = AdapterConfig.parse(config.content(), CONFIG);
      ModelConfig model = baseModels.findById(adapter.baseModelId()).orElseThrow().config();
      AdapterLayout layout = AdapterLayout.validate(cfg, weights.header(), model, WEIGHTS);
      upload.files().forEach(blobs::promote);
      var files = upload.files().stream().map(f -> new Versions.NewFile(f.stored(), false)).toList();
      boolean mix = layout.kind() == io.adapterplatform.engine.format.AdapterKind.MIXLORA;
      var v = new Versions.NewVersion(layout.kind().name(), config.content(), mix ? layout.expertRank() : layout.rank(),
          layout.targetModules(), mix ? layout.numExperts() : null, mix ? cfg.topK() : null, null, files, List.of());
      var row = tx.execute(status -> versions.commit(caller.actor(), adapter, v));
      return view(row);
    }
  }

  @Transactional(readOnly = true)
  Adapters.VersionPage list(Caller caller, String name, Integer limit, String cursor) {
    caller.require(Role.READER);
    var adapter = versions.adapter(name);
    int n = Cursors.limit(limit);
    long after = cursor == null ? 0 : Cursors.decodeLong(cursor);
    var rows = jdbc.sql("""
        select v.*, ? as adapter_name from adapter_version v
        where v.adapter_id = ? and v.deleted_at is null and v.number > ? order by v.number limit ?""")
        .params(adapter.name(), adapter.id(), after, n + 1).query(Versions::row).list();
    var items = rows.stream().limit(n).map(this::view).toList();
    return new Adapters.VersionPage(items, rows.size() > n ? Cursors.encode(rows.get(n - 1).number()) : null);
  }

  @Transactional(readOnly = true)
  Adapters.AdapterVersion get(Caller caller, String name, String ref) {
    caller.require(Role.READER);
    return view(versions.resolve(versions.adapter(name), ref, false));
  }

  /**
   * Deletes by number. The version row is locked first (UPDATE), then references are checked in the same
   * transaction: an alias move or a composition that locked it FOR SHARE either committed before (and is
   * seen: 409) or waits and then finds it deleted (410).
   */
  @Transactional
  void delete(Caller caller, String name, String ref) {
    caller.require(Role.PUBLISHER);
    var adapter = versions.adapter(name);
    if (!ref.matches("^[0-9]{1,9}$")) {
      throw ApiException.invalidField("ref", "versions are deleted by number, not by alias");
    }
    var v = versions.resolve(adapter, ref, false);
    int updated = jdbc.sql("update adapter_version set deleted_at = now(), deleted_by = ? where id = ? and deleted_at is null")
        .params(caller.actor(), v.id()).update();
    if (updated == 0) {
      throw ApiException.gone("version " + v.number() + " of adapter '" + name + "' was deleted");
    }
    var aliases = jdbc.sql("select name from alias where version_id = ? order by name").param(v.id()).query(String.class).list();
    if (!aliases.isEmpty()) {
      throw ApiException.conflict("version-in-use", "version " + v.number() + " is the target of alias(es) " + aliases
          + "; move or delete them first");
    }
    var users = jdbc.sql("""
        select a.name || '@' || u.number from mixlora_source s join adapter_version u on u.id = s.version_id
        join adapter a on a.id = u.adapter_id where s.source_version_id = ? and u.deleted_at is null order by 1""")
        .param(v.id()).query(String.class).list();
    if (!users.isEmpty()) {
      throw ApiException.conflict("version-in-use", "version " + v.number() + " is an expert of MixLoRA version(s) " + users);
    }
    outbox.append(Outbox.EventType.VERSION_DELETED, name, Map.of("version", v.number()));
    audit.record(caller.actor(), "version.delete", "adapter/" + name + "/versions/" + v.number(), null);
  }

  ResponseEntity<StreamingResponseBody> download(Caller caller, String name, String ref, String file, String range,
      String ifNoneMatch) {
    caller.require(Role.READER);
    var v = versions.resolve(versions.adapter(name), ref, false);
    var f = versions.file(v.id(), file)
        .orElseThrow(() -> ApiException.notFound("file '" + file + "' of " + name + "@" + v.number()));
    if (f.generated()) {
      var source = generated.getObject();
      return downloads.serve(f.file(), range, ifNoneMatch, () -> source.open(v.id(), file));
    }
    return downloads.blob(f.file(), range, ifNoneMatch);
  }

  @Override
  public Adapters.AdapterVersion view(Versions.VersionRow v) {
    var aliases = jdbc.sql("select name from alias where version_id = ? order by name").param(v.id()).query(String.class).list();
    var sources = new ArrayList<Adapters.ExpertSource>();
    for (var s : versions.sources(v.id())) {
      if (s.expertIndex() >= 0) {
        var src = versions.byId(s.versionId());
        sources.add(new Adapters.ExpertSource(src.adapter(), src.number()));
      }
    }
    String base = jdbc.sql("select b.name from adapter a join base_model b on b.id = a.base_model_id where a.id = ?")
        .param(v.adapterId()).query(String.class).single();
    List<String> targets = Optional.ofNullable(v.targetModules()).filter(s -> !s.isEmpty())
        .map(s -> Arrays.asList(s.split(","))).orElse(List.of());
    return new Adapters.AdapterVersion(v.adapter(), v.number(), Adapters.AdapterKind.valueOf(v.kind()), base,
        versions.files(v.id()), aliases, v.rank(), targets, v.numExperts(), v.topK(),
        sources.isEmpty() ? null : sources, v.createdBy(), v.createdAt());
  }
}
