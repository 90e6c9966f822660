package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.client.AliasesApi;
import io.adapterplatform.api.registry.model.AliasMove;
import io.adapterplatform.api.registry.model.MoveAliasRequest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Aliases move atomically under contention: every move succeeds and is recorded once, in a chain.
 */
class AliasConcurrencyTest extends RegistryTestBase {

  private static final int MOVES = 20;

  @Test
  void concurrentMovesAllSucceedAndFormOneHistoryChain() throws Exception {
    String name = newAdapter();
    for (int v = 1; v <= MOVES; v++) {
      publishLora(name, 100 + v);
    }
    var start = new CountDownLatch(1);
    var futures = new ArrayList<Future<Integer>>();
    try (var pool = Executors.newFixedThreadPool(MOVES)) {
      for (int i = 1; i <= MOVES; i++) {
        int version = i;
        futures.add(
            pool.submit(
                () -> {
                  var api = new AliasesApi(admin());
                  start.await();
                  return api.moveAliasWithHttpInfo(
                          name, "prod", new MoveAliasRequest().version(version))
                      .getStatusCode();
                }));
      }
      start.countDown();
      for (var f : futures) {
        assertThat(f.get()).isEqualTo(200);
      }
    }

    var alias = aliases().getAlias(name, "prod");
    List<AliasMove> history = alias.getHistory(); // newest first
    assertThat(history).hasSize(MOVES);
    assertThat(history)
        .extracting(AliasMove::getVersion)
        .doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(
            java.util.stream.IntStream.rangeClosed(1, MOVES).boxed().toList());
    assertThat(alias.getVersion()).isEqualTo(history.getFirst().getVersion());
    assertThat(history.getLast().getPreviousVersion()).isNull();
    var seenPrevious = new HashSet<Integer>();
    for (int k = 0; k < history.size() - 1; k++) {
      assertThat(history.get(k).getPreviousVersion())
          .as("entry %d", k)
          .isEqualTo(history.get(k + 1).getVersion());
      assertThat(seenPrevious.add(history.get(k).getPreviousVersion())).isTrue();
    }
  }
}
