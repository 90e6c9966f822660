package io.adapterplatform.registry.adapter;

import io.adapterplatform.registry.audit.AuditLog;
import io.adapterplatform.registry.auth.AdapterScopes;
import io.adapterplatform.registry.basemodel.BaseModelCatalog;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.auth.Role;
import io.adapterplatform.web.page.Cursors;
import io.adapterplatform.web.page.Names;
import io.adapterplatform.web.problem.ApiException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
class AdapterService {

  static final int MAX_DESCRIPTION = 4096;
  private static final Pattern LABEL_KEY = Pattern.compile("^[a-z0-9][a-z0-9._/-]{0,62}$");

  /** An adapter row as the other services of this feature need it. */
  record Row(long id, String name, long baseModelId, String baseModel) {}

  private final JdbcClient jdbc;
  private final BaseModelCatalog baseModels;
  private final AuditLog audit;

  AdapterService(JdbcClient jdbc, BaseModelCatalog baseModels, AuditLog audit) {
    this.jdbc = jdbc;
    this.baseModels = baseModels;
    this.audit = audit;
  }

  @Transactional
  Adapters.Adapter create(Caller caller, Adapters.CreateAdapterRequest request) {
    caller.require(Role.PUBLISHER);
    String name = Names.require("name", request.name());
    AdapterScopes.requireCreatable(caller, name);
    if (request.baseModel() == null || request.baseModel().isEmpty()) {
      throw ApiException.invalidField("baseModel", "is required");
    }
    var labels = labels(request.labels());
    for (var e : labels.entrySet()) {
      if (!LABEL_KEY.matcher(e.getKey()).matches()) {
        throw ApiException.invalidField(
            "labels." + e.getKey(), "label keys must match " + LABEL_KEY.pattern());
      }
      if (e.getValue() == null || e.getValue().length() > 256) {
        throw ApiException.invalidField(
            "labels." + e.getKey(), "label values are strings of at most 256 characters");
      }
    }
    var base =
        baseModels
            .find(request.baseModel())
            .orElseThrow(
                () ->
                    ApiException.unprocessable(
                        "unknown-base-model",
                        "base model '" + request.baseModel() + "' does not exist",
                        List.of(new ApiException.FieldError("baseModel", "no such base model"))));
    if (request.description() != null && request.description().length() > MAX_DESCRIPTION) {
      throw ApiException.invalidField(
          "description", "is longer than " + MAX_DESCRIPTION + " characters");
    }
    long id;
    try {
      id =
          jdbc.sql(
                  "insert into adapter (name, base_model_id, description, created_by) values (?, ?, ?, ?) returning id")
              .params(name, base.id(), request.description(), caller.actor())
              .query(Long.class)
              .single();
    } catch (DuplicateKeyException e) {
      throw ApiException.conflict("already-exists", "adapter '" + name + "' already exists");
    }
    for (var e : labels.entrySet()) {
      jdbc.sql("insert into adapter_label (adapter_id, key, value) values (?, ?, ?)")
          .params(id, e.getKey(), e.getValue())
          .update();
    }
    audit.record(caller.actor(), "adapter.create", "adapter/" + name, "baseModel=" + base.name());
    return view(name);
  }

  private static Map<String, String> labels(Object raw) {
    var out = new TreeMap<String, String>();
    if (raw == null) {
      return out;
    }
    if (raw instanceof Map<?, ?> map) {
      for (var e : map.entrySet()) {
        if (!(e.getValue() instanceof String value)) {
          throw ApiException.invalidField("labels." + e.getKey(), "label values are strings");
        }
        out.put(String.valueOf(e.getKey()), value);
      }
      return out;
    }
    if (raw instanceof List<?> list) {
      for (Object item : list) {
        if (!(item instanceof String s) || s.isEmpty()) {
          throw ApiException.invalidField(
              "labels", "list labels are non-empty strings 'key=value' or 'key'");
        }
        int eq = s.indexOf('=');
        out.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? "" : s.substring(eq + 1));
      }
      return out;
    }
    throw ApiException.invalidField("labels", "must be an object of string values");
  }

  /** One statement, so no transaction: a read-only one would only add a BEGIN and a COMMIT. */
  Adapters.Adapter get(Caller caller, String name) {
    caller.require(Role.READER);
    return view(name);
  }

  @Transactional(readOnly = true)
  Adapters.AdapterPage list(
      Caller caller,
      Integer limit,
      String cursor,
      String baseModel,
      Adapters.AdapterKind kind,
      String label) {
    caller.require(Role.READER);
    int n = Cursors.limit(limit);
    var sql =
        new StringBuilder(
            """
        select a.name from adapter a where a.name > :after""");
    var params = new LinkedHashMap<String, Object>();
    params.put("after", cursor == null ? "" : Cursors.decode(cursor));
    if (baseModel != null) {
      Names.require("baseModel", baseModel);
      var base = baseModels.find(baseModel);
      if (base.isEmpty()) {
        return new Adapters.AdapterPage(List.of(), null);
      }
      sql.append(" and a.base_model_id = :base");
      params.put("base", base.get().id());
    }
    if (kind != null) {
      sql.append(
          " and exists (select 1 from adapter_version v where v.adapter_id = a.id and v.deleted_at is null and v.kind = :kind)");
      params.put("kind", kind.name());
    }
    if (label != null) {
      int eq = label.indexOf('=');
      String key = eq < 0 ? label : label.substring(0, eq);
      if (!LABEL_KEY.matcher(key).matches()) {
        throw ApiException.invalidField(
            "label", "must be 'key' or 'key=value' with a key matching " + LABEL_KEY.pattern());
      }
      if (eq < 0) {
        sql.append(
            " and exists (select 1 from adapter_label l where l.adapter_id = a.id and l.key = :lkey)");
        params.put("lkey", label);
      } else {
        sql.append(
            " and exists (select 1 from adapter_label l where l.adapter_id = a.id and l.key = :lkey and l.value = :lvalue)");
        params.put("lkey", label.substring(0, eq));
        params.put("lvalue", label.substring(eq + 1));
      }
    }
    AdapterScopes.sqlPrefixes(caller)
        .ifPresent(
            prefixes -> {
              sql.append(
                  " and exists (select 1 from unnest(string_to_array(:scopes, ',')) p where starts_with(a.name, p))");
              params.put("scopes", prefixes);
            });
    sql.append(" order by a.name limit :limit");
    params.put("limit", n + 1);
    var names = jdbc.sql(sql.toString()).params(params).query(String.class).list();
    var items = new ArrayList<Adapters.Adapter>();
    names.stream().limit(n).forEach(nm -> items.add(view(nm)));
    return new Adapters.AdapterPage(items, Cursors.next(names, n, name -> name));
  }

  /** The adapter's row, or 404. */
  Row require(String name) {
    Names.require("name", name);
    AdapterScopes.requireVisible(name);
    return jdbc.sql("select a.id, a.name, a.base_model_id from adapter a where a.name = ?")
        .param(name)
        .query(
            (rs, i) ->
                new Row(
                    rs.getLong(1), rs.getString(2), rs.getLong(3), baseModelName(rs.getLong(3))))
        .optional()
        .orElseThrow(() -> ApiException.notFound("adapter '" + name + "'"));
  }

  /** Base models are never deleted, so an adapter's base model always resolves. */
  String baseModelName(long baseModelId) {
    return baseModels.findById(baseModelId).orElseThrow().name();
  }

  /** The adapter with its labels and latest live version in one statement. */
  private Adapters.Adapter view(String name) {
    Names.require("name", name);
    AdapterScopes.requireVisible(name);
    return jdbc.sql(
            """
        select a.name, a.base_model_id, a.description, a.created_at,
          (select max(number) from adapter_version v where v.adapter_id = a.id and v.deleted_at is null) as latest,
          array(select l.key from adapter_label l where l.adapter_id = a.id order by l.key) as label_keys,
          array(select l.value from adapter_label l where l.adapter_id = a.id order by l.key) as label_values
        from adapter a where a.name = ?""")
        .param(name)
        .query(
            (rs, i) -> {
              var keys = (String[]) rs.getArray("label_keys").getArray();
              var values = (String[]) rs.getArray("label_values").getArray();
              Map<String, String> labels = new TreeMap<>();
              for (int l = 0; l < keys.length; l++) {
                labels.put(keys[l], values[l]);
              }
              return new Adapters.Adapter(
                  rs.getString("name"),
                  baseModelName(rs.getLong("base_model_id")),
                  rs.getString("description"),
                  labels,
                  (Integer) rs.getObject("latest"),
                  rs.getObject("created_at", OffsetDateTime.class).toInstant());
            })
        .optional()
        .orElseThrow(() -> ApiException.notFound("adapter '" + name + "'"));
  }
}
