package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.adapterplatform.api.registry.model.CreateAdapterRequest;
import io.adapterplatform.registry.adapter.Versions;
import io.adapterplatform.web.problem.ApiException;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Adapter rows are remembered by name once read (reads then skip that round trip), but only rows
 * known to be committed: one read inside a transaction that rolls back must not outlive it.
 */
class RememberedAdapterTest extends RegistryTestBase {

  @Autowired Versions versions;
  @Autowired JdbcClient jdbc;
  @Autowired PlatformTransactionManager transactions;

  @Test
  void anAdapterSeenOnlyInsideARolledBackTransactionIsForgotten() throws Exception {
    ensureBaseModel();
    String name = "rolled-back-" + unique();
    long baseModelId =
        jdbc.sql("select id from base_model where name = ?").param(BASE).query(Long.class).single();

    new TransactionTemplate(transactions)
        .executeWithoutResult(
            status -> {
              jdbc.sql(
                      "insert into adapter (name, base_model_id, created_by) values (?, ?, 'test')")
                  .params(name, baseModelId)
                  .update();
              assertThat(versions.adapter(name).name()).isEqualTo(name);
              status.setRollbackOnly();
            });

    assertThatThrownBy(() -> versions.adapter(name))
        .isInstanceOfSatisfying(
            ApiException.class, e -> assertThat(e.status().value()).isEqualTo(404));
    adapters().createAdapter(new CreateAdapterRequest().name(name).baseModel(BASE));
    long committedId =
        jdbc.sql("select id from adapter where name = ?").param(name).query(Long.class).single();
    assertThat(versions.adapter(name).id()).isEqualTo(committedId);
    assertThat(versions.adapter(name)).isSameAs(versions.adapter(name));
  }
}
