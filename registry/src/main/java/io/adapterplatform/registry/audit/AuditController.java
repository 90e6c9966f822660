package io.adapterplatform.registry.audit;

import static org.springframework.http.HttpStatus.BAD_REQUEST;
import static org.springframework.http.HttpStatus.FORBIDDEN;
import static org.springframework.http.HttpStatus.UNAUTHORIZED;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import io.adapterplatform.registry.auth.AdapterScopes;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.auth.Role;
import io.adapterplatform.web.openapi.ApiDocs;
import io.adapterplatform.web.openapi.ProblemResponses;
import io.adapterplatform.web.page.Cursors;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
@Tag(name = "audit")
@SecurityRequirement(name = ApiDocs.BEARER)
class AuditController {

  /** {@code detail} is left out when the action has none. */
  @JsonInclude(Include.NON_NULL)
  record AuditEntry(
      long id, Instant at, String actor, String action, String target, @Nullable String detail) {}

  /** {@code nextCursor} is always written, {@code null} on the last page. */
  record AuditPage(
      List<AuditEntry> items, @JsonInclude(Include.ALWAYS) @Nullable String nextCursor) {}

  private final JdbcClient jdbc;

  AuditController(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  @GetMapping(path = "/api/v1/audit", produces = "application/json")
  @ProblemResponses({BAD_REQUEST, UNAUTHORIZED, FORBIDDEN})
  AuditPage listAudit(
      Caller caller,
      @RequestParam(required = false) Integer limit,
      @RequestParam(required = false) String cursor) {
    caller.require(Role.ADMIN);
    int n = Cursors.limit(limit);
    long before = cursor == null ? Long.MAX_VALUE : Cursors.decodeLong(cursor);
    // A scoped caller sees no entry about an adapter outside its scopes (targets read
    // "adapter/<name>/...").
    String prefixes = AdapterScopes.sqlPrefixes(caller).orElse(null);
    String scopeFilter =
        prefixes == null
            ? ""
            : """
        and (not starts_with(target, 'adapter/') or exists (
          select 1 from unnest(string_to_array(:scopes, ',')) p where starts_with(split_part(target, '/', 2), p)))""";
    var statement =
        jdbc.sql(
                "select id, at, actor, action, target, detail from audit_log where id < :before "
                    + scopeFilter
                    + " order by id desc limit :limit")
            .param("before", before)
            .param("limit", n + 1);
    if (prefixes != null) {
      statement = statement.param("scopes", prefixes);
    }
    var rows =
        statement
            .query(
                (rs, i) ->
                    new AuditEntry(
                        rs.getLong(1),
                        rs.getObject(2, OffsetDateTime.class).toInstant(),
                        rs.getString(3),
                        rs.getString(4),
                        rs.getString(5),
                        rs.getString(6)))
            .list();
    return new AuditPage(
        rows.subList(0, Math.min(n, rows.size())), Cursors.next(rows, n, e -> e.id()));
  }
}
