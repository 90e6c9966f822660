package io.adapterplatform.serving.batch;

import static io.adapterplatform.serving.batch.ServingFixture.MODEL;
import static io.adapterplatform.serving.batch.ServingFixture.adapterAt;
import static io.adapterplatform.serving.batch.ServingFixture.batcher;
import static io.adapterplatform.serving.batch.ServingFixture.prompt;
import static io.adapterplatform.serving.batch.ServingFixture.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link ContinuousBatcher#limitAdaptersPerStep}: the batching of servers without fusion. */
class AdapterLimitTest {

  @Test
  void withALimitOfOneEveryStepServesOneAdapterAndEveryRequestStillGetsItsOwnTokens()
      throws Exception {
    Map<Long, Set<Integer>> adaptersByStep = run(1);

    assertThat(adaptersByStep).isNotEmpty();
    assertThat(adaptersByStep.values()).allSatisfy(slots -> assertThat(slots).hasSize(1));
    assertThat(adaptersByStep.values().stream().flatMap(Set::stream).distinct())
        .containsExactlyInAnyOrder(-1, 0, 1, 5);
  }

  @Test
  void withoutALimitStepsMixAdapters() throws Exception {
    Map<Long, Set<Integer>> adaptersByStep = run(Integer.MAX_VALUE);

    assertThat(adaptersByStep.values())
        .anySatisfy(slots -> assertThat(slots).hasSizeGreaterThan(1));
  }

  @Test
  void refusesALimitBelowOne() {
    try (ContinuousBatcher batcher = batcher(settings())) {
      assertThatThrownBy(() -> batcher.limitAdaptersPerStep(0))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  // eight requests over the base model, two LoRA and a MixLoRA; per step (as the stats count them
  // when a token is emitted: the steps before it), the adapters whose rows produced a token
  private static Map<Long, Set<Integer>> run(int limit) throws Exception {
    Map<Long, Set<Integer>> adaptersByStep = new ConcurrentHashMap<>();
    try (ContinuousBatcher batcher = batcher(settings())) {
      if (limit != Integer.MAX_VALUE) {
        batcher.limitAdaptersPerStep(limit);
      }
      int[] slots = {-1, 0, 1, 5, -1, 0, 1, 5};
      List<GenerationRequest> requests = new ArrayList<>();
      List<CollectingSink> sinks = new ArrayList<>();
      List<GenerationHandle> handles = new ArrayList<>();
      for (int i = 0; i < slots.length; i++) {
        int slot = slots[i];
        GenerationRequest r = GenerationRequest.greedy(prompt(3 + i, 300 + i), slot, 5);
        CollectingSink sink =
            new CollectingSink(
                (n, e) ->
                    adaptersByStep
                        .computeIfAbsent(
                            batcher.stats().steps(), k -> ConcurrentHashMap.newKeySet())
                        .add(slot));
        requests.add(r);
        sinks.add(sink);
        handles.add(batcher.submit(r, sink));
      }
      for (int i = 0; i < requests.size(); i++) {
        handles.get(i).completion().get(60, TimeUnit.SECONDS);
        GenerationRequest r = requests.get(i);
        assertThat(sinks.get(i).generatedTokens())
            .isEqualTo(
                Alone.generate(MODEL, adapterAt(r.adapterSlot()), r.promptTokens(), r.maxTokens())
                    .tokens());
      }
    }
    return adaptersByStep;
  }
}
