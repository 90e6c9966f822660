package io.adapterplatform.registry.audit;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Appends one row per write, inside the writer's transaction: a write and its audit row commit
 * together.
 */
@Component
public class AuditLog {

  private final JdbcClient jdbc;

  AuditLog(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  @Transactional(propagation = Propagation.MANDATORY)
  public void record(String actor, String action, String target, String detail) {
    jdbc.sql("insert into audit_log (actor, action, target, detail) values (?, ?, ?, ?)")
        .params(actor, action, target, detail)
        .update();
  }
}
