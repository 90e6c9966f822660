package io.adapterplatform.composition.second;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** Same simple name as the registry's outbox bean; writes to this service's own table. */
@Component
public class Outbox {

  private final JdbcClient jdbc;

  Outbox(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  public long append(String payload) {
    return jdbc.sql("insert into second.outbox (payload) values (?) returning id")
        .param(payload)
        .query(Long.class)
        .single();
  }
}
