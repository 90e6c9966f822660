package io.adapterplatform.registry.adapter;

import io.adapterplatform.registry.audit.AuditLog;
import io.adapterplatform.registry.events.Outbox;
import io.adapterplatform.registry.events.RegistryEvent;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.auth.Role;
import io.adapterplatform.web.page.Names;
import io.adapterplatform.web.problem.ApiException;
import java.time.OffsetDateTime;
import java.util.List;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Aliases point at live versions. A move is one transaction: the adapter row is locked first (FOR
 * NO KEY UPDATE), so that moves and deletes of its aliases queue up instead of failing, whether the
 * alias exists yet or not (last writer wins, and each reads the previous version its predecessor
 * committed); then the target version is locked FOR SHARE (it cannot be deleted meanwhile), and the
 * alias row, history row, outbox event and audit row commit together.
 */
@Service
class AliasService {

  private final JdbcClient jdbc;
  private final Versions versions;
  private final Outbox outbox;
  private final AuditLog audit;

  AliasService(JdbcClient jdbc, Versions versions, Outbox outbox, AuditLog audit) {
    this.jdbc = jdbc;
    this.versions = versions;
    this.outbox = outbox;
    this.audit = audit;
  }

  private record AliasRow(long id, int version, long rowVersion) {}

  @Transactional
  Adapters.Alias move(Caller caller, String name, String alias, Adapters.MoveAliasRequest request) {
    caller.require(Role.PUBLISHER);
    var adapter = versions.adapter(name);
    checkAliasName(alias);
    if (request == null || request.version() == null) {
      throw ApiException.invalidField("version", "is required");
    }
    lockAliases(adapter);
    var target = versions.resolve(adapter, Integer.toString(request.version()), true);
    var current =
        jdbc.sql(
                """
        select al.id, v.number, al.row_version from alias al join adapter_version v on v.id = al.version_id
        where al.adapter_id = ? and al.name = ?""")
            .params(adapter.id(), alias)
            .query((rs, i) -> new AliasRow(rs.getLong(1), rs.getInt(2), rs.getLong(3)))
            .optional();
    Integer previous = null;
    if (current.isEmpty()) {
      jdbc.sql(
              "insert into alias (adapter_id, name, version_id, updated_at) values (?, ?, ?, now())")
          .params(adapter.id(), alias, target.id())
          .update();
    } else {
      previous = current.get().version();
      jdbc.sql(
              "update alias set version_id = ?, updated_at = now(), row_version = row_version + 1 where id = ?")
          .params(target.id(), current.get().id())
          .update();
    }
    jdbc.sql(
            "insert into alias_move (adapter_id, alias, version, previous_version, moved_at, moved_by) values (?, ?, ?, ?, now(), ?)")
        .params(adapter.id(), alias, target.number(), previous, caller.actor())
        .update();
    outbox.append(new RegistryEvent.AliasMoved(name, alias, target.number(), previous));
    audit.record(
        caller.actor(),
        "alias.move",
        "adapter/" + name + "/aliases/" + alias,
        (previous == null ? "new" : previous) + " -> " + target.number());
    return view(adapter, alias);
  }

  @Transactional
  void delete(Caller caller, String name, String alias) {
    caller.require(Role.PUBLISHER);
    var adapter = versions.adapter(name);
    checkAliasName(alias);
    lockAliases(adapter);
    var current =
        jdbc.sql(
                """
        select al.id, v.number, al.row_version from alias al join adapter_version v on v.id = al.version_id
        where al.adapter_id = ? and al.name = ? for update of al""")
            .params(adapter.id(), alias)
            .query((rs, i) -> new AliasRow(rs.getLong(1), rs.getInt(2), rs.getLong(3)))
            .optional()
            .orElseThrow(
                () -> ApiException.notFound("alias '" + alias + "' of adapter '" + name + "'"));
    jdbc.sql("delete from alias where id = ?").param(current.id()).update();
    jdbc.sql(
            "insert into alias_move (adapter_id, alias, version, previous_version, moved_at, moved_by) values (?, ?, null, ?, now(), ?)")
        .params(adapter.id(), alias, current.version(), caller.actor())
        .update();
    outbox.append(new RegistryEvent.AliasDeleted(name, alias, current.version()));
    audit.record(
        caller.actor(),
        "alias.delete",
        "adapter/" + name + "/aliases/" + alias,
        "was " + current.version());
  }

  /**
   * Serialises alias changes of one adapter. NO KEY UPDATE does not block foreign-key checks of
   * other transactions (new versions, history rows), only other alias changes and version-number
   * allocation. Taken before the version lock: adapter, then version, the order every writer uses.
   */
  private void lockAliases(Versions.AdapterRef adapter) {
    jdbc.sql("select id from adapter where id = ? for no key update")
        .param(adapter.id())
        .query(Long.class)
        .optional()
        .orElseThrow(() -> ApiException.notFound("adapter '" + adapter.name() + "'"));
  }

  @Transactional(readOnly = true)
  Adapters.Alias get(Caller caller, String name, String alias) {
    caller.require(Role.READER);
    return view(versions.adapter(name), alias);
  }

  @Transactional(readOnly = true)
  List<Adapters.Alias> list(Caller caller, String name) {
    caller.require(Role.READER);
    var adapter = versions.adapter(name);
    return jdbc
        .sql("select name from alias where adapter_id = ? order by name")
        .param(adapter.id())
        .query(String.class)
        .list()
        .stream()
        .map(a -> view(adapter, a))
        .toList();
  }

  private Adapters.Alias view(Versions.AdapterRef adapter, String alias) {
    var history =
        jdbc.sql(
                """
        select version, previous_version, moved_at, moved_by from alias_move where adapter_id = ? and alias = ?
        order by id desc limit 100""")
            .params(adapter.id(), alias)
            .query(
                (rs, i) ->
                    new Adapters.AliasMove(
                        (Integer) rs.getObject(1),
                        (Integer) rs.getObject(2),
                        rs.getObject(3, OffsetDateTime.class).toInstant(),
                        rs.getString(4)))
            .list();
    return jdbc.sql(
            """
        select v.number, al.updated_at from alias al join adapter_version v on v.id = al.version_id
        where al.adapter_id = ? and al.name = ?""")
        .params(adapter.id(), alias)
        .query(
            (rs, i) ->
                new Adapters.Alias(
                    alias,
                    rs.getInt(1),
                    rs.getObject(2, OffsetDateTime.class).toInstant(),
                    history))
        .optional()
        .orElseThrow(
            () ->
                ApiException.notFound("alias '" + alias + "' of adapter '" + adapter.name() + "'"));
  }

  private static void checkAliasName(String alias) {
    Names.require("alias", alias);
    if (alias.matches("^[0-9]+$")) {
      throw ApiException.invalidField(
          "alias", "an alias cannot be a number (numbers name versions)");
    }
  }
}
