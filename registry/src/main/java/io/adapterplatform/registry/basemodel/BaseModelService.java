package io.adapterplatform.registry.basemodel;

import io.adapterplatform.engine.format.BaseModelLayout;
import io.adapterplatform.engine.format.ModelConfig;
import io.adapterplatform.engine.format.ModelWeightsIndex;
import io.adapterplatform.engine.format.SafetensorsHeader;
import io.adapterplatform.registry.audit.AuditLog;
import io.adapterplatform.registry.idempotency.Idempotency;
import io.adapterplatform.registry.storage.AcceptedFiles;
import io.adapterplatform.registry.storage.BlobRows;
import io.adapterplatform.registry.storage.FileInfo;
import io.adapterplatform.registry.storage.StagedFile;
import io.adapterplatform.registry.storage.Uploads;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.auth.Role;
import io.adapterplatform.web.page.Cursors;
import io.adapterplatform.web.page.Names;
import io.adapterplatform.web.problem.ApiException;
import jakarta.servlet.http.HttpServletRequest;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

@Service
class BaseModelService implements BaseModelCatalog {

  private final JdbcClient jdbc;
  private final TransactionTemplate tx;
  private final Uploads uploads;
  private final BlobRows blobs;
  private final AuditLog audit;

  /** Few rows, immutable once committed: every version view asks for its base model's name. */
  private final Map<Long, Ref> byId = new ConcurrentHashMap<>();

  private final Idempotency idempotency;

  BaseModelService(
      JdbcClient jdbc,
      TransactionTemplate tx,
      Uploads uploads,
      BlobRows blobs,
      AuditLog audit,
      Idempotency idempotency) {
    this.idempotency = idempotency;
    this.jdbc = jdbc;
    this.tx = tx;
    this.uploads = uploads;
    this.blobs = blobs;
    this.audit = audit;
  }

  BaseModels.BaseModel upload(Caller caller, HttpServletRequest request) {
    caller.require(Role.PUBLISHER);
    try (var upload = uploads.stage(request, Set.of("name"), AcceptedFiles.BASE_MODEL)) {
      idempotency.claim(request, upload.digest());
      String name = Names.require("name", upload.fields().get("name"));
      StagedFile config =
          upload
              .file("config.json")
              .orElseThrow(() -> ApiException.invalidField("files", "config.json is required"));
      ModelConfig model = ModelConfig.parse(config.content(), "config.json");
      var weights = upload.files().stream().filter(f -> f.header() != null).toList();
      if (weights.isEmpty()) {
        throw ApiException.invalidField("files", "at least one .safetensors file is required");
      }
      upload.file(ModelWeightsIndex.FILE_NAME).ifPresent(index -> checkIndex(index, weights));
      BaseModelLayout.validate(model, weights.stream().map(StagedFile::header).toList());
      if (find(name).isPresent()) {
        throw ApiException.conflict("already-exists", "base model '" + name + "' already exists");
      }
      try {
        return tx.execute(
            status -> {
              long id =
                  jdbc.sql(
                          """
              insert into base_model (name, model_type, hidden_size, num_layers, num_heads, num_kv_heads,
                intermediate_size, vocab_size, config_json, created_by)
              values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id""")
                      .params(
                          name,
                          model.modelType(),
                          model.hiddenSize(),
                          model.numHiddenLayers(),
                          model.numAttentionHeads(),
                          model.numKeyValueHeads(),
                          model.intermediateSize(),
                          model.vocabSize(),
                          config.content(),
                          caller.actor())
                      .query(Long.class)
                      .single();
              for (var f : upload.files()) {
                blobs.record(f);
                jdbc.sql(
                        "insert into base_model_file (base_model_id, name, sha256, size) values (?, ?, ?, ?)")
                    .params(id, f.name(), f.sha256(), f.size())
                    .update();
              }
              audit.record(
                  caller.actor(),
                  "base-model.create",
                  "base-model/" + name,
                  upload.files().size() + " files");
              return load(name).orElseThrow();
            });
      } catch (DuplicateKeyException e) {
        throw ApiException.conflict("already-exists", "base model '" + name + "' already exists");
      }
    }
  }

  /**
   * Checks the index with the engine's own rule (every named shard uploaded, every tensor of every
   * shard listed for that shard, every listed tensor in its shard), so that the registry accepts
   * exactly the sharded models the engine loads. A disagreement is a FormatException (INCONSISTENT
   * → 422).
   */
  private static void checkIndex(StagedFile index, List<StagedFile> weights) {
    var shards = new TreeMap<String, SafetensorsHeader>();
    weights.forEach(f -> shards.put(f.name(), f.header()));
    ModelWeightsIndex.parse(index.content(), ModelWeightsIndex.FILE_NAME).validate(shards);
  }

  BaseModels.BaseModel get(Caller caller, String name) {
    caller.require(Role.READER);
    Names.require("name", name);
    return load(name).orElseThrow(() -> ApiException.notFound("base model '" + name + "'"));
  }

  BaseModels.BaseModelPage list(Caller caller, Integer limit, String cursor) {
    caller.require(Role.READER);
    int n = Cursors.limit(limit);
    String after = cursor == null ? "" : Cursors.decode(cursor);
    var names =
        jdbc.sql("select name from base_model where name > ? order by name limit ?")
            .params(after, n + 1)
            .query(String.class)
            .list();
    var items = names.stream().limit(n).map(nm -> load(nm).orElseThrow()).toList();
    return new BaseModels.BaseModelPage(items, Cursors.next(names, n, name -> name));
  }

  FileInfo file(Caller caller, String name, String file) {
    caller.require(Role.READER);
    return jdbc.sql(
            """
        select f.name, f.sha256, f.size from base_model_file f join base_model m on m.id = f.base_model_id
        where m.name = ? and f.name = ?""")
        .params(name, file)
        .query((rs, i) -> new FileInfo(rs.getString(1), rs.getString(2), rs.getLong(3)))
        .optional()
        .orElseThrow(
            () -> ApiException.notFound("file '" + file + "' of base model '" + name + "'"));
  }

  private Optional<BaseModels.BaseModel> load(String name) {
    return jdbc.sql("select * from base_model where name = ?")
        .param(name)
        .query(this::row)
        .optional();
  }

  private BaseModels.BaseModel row(ResultSet rs, int i) throws SQLException {
    long id = rs.getLong("id");
    var files =
        jdbc.sql(
                "select name, sha256, size from base_model_file where base_model_id = ? order by name")
            .param(id)
            .query((r, j) -> new FileInfo(r.getString(1), r.getString(2), r.getLong(3)))
            .list();
    var arch =
        new BaseModels.Architecture(
            rs.getString("model_type"),
            rs.getInt("hidden_size"),
            rs.getInt("num_layers"),
            rs.getInt("num_heads"),
            rs.getInt("num_kv_heads"),
            rs.getInt("intermediate_size"),
            rs.getInt("vocab_size"));
    return new BaseModels.BaseModel(
        rs.getString("name"),
        files,
        arch,
        rs.getObject("created_at", OffsetDateTime.class).toInstant());
  }

  @Override
  public Optional<Ref> find(String name) {
    return jdbc.sql("select id, name, config_json from base_model where name = ?")
        .param(name)
        .query(
            (rs, i) ->
                new Ref(
                    rs.getLong(1),
                    rs.getString(2),
                    ModelConfig.parse(rs.getBytes(3), "config.json")))
        .optional();
  }

  @Override
  public Optional<Contents> contents(String name) {
    return load(name)
        .map(
            m ->
                new Contents(
                    jdbc.sql("select id from base_model where name = ?")
                        .param(name)
                        .query(Long.class)
                        .single(),
                    m.name(),
                    m.files(),
                    m.createdAt()));
  }

  @Override
  public Optional<Ref> findById(long id) {
    var cached = byId.get(id);
    if (cached != null) {
      return Optional.of(cached);
    }
    var found =
        jdbc.sql("select id, name, config_json from base_model where id = ?")
            .param(id)
            .query(
                (rs, i) ->
                    new Ref(
                        rs.getLong(1),
                        rs.getString(2),
                        ModelConfig.parse(rs.getBytes(3), "config.json")))
            .optional();
    // Base models are immutable and never deleted: a row once read stays true (an id read inside a
    // transaction that
    // later rolls back is never asked for again: sequences do not hand it out twice).
    found.ifPresent(ref -> byId.putIfAbsent(id, ref));
    return found;
  }
}
