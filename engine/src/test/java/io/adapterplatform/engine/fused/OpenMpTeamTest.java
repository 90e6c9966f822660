package io.adapterplatform.engine.fused;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The kernel's tasks on libtorch's OpenMP team: every task once, on as many threads as asked,
 * failures rethrown.
 */
class OpenMpTeamTest {

  @BeforeEach
  void needsLibgomp() {
    Engine.getEngine("PyTorch");
    assumeTrue(OpenMpTeam.find().isPresent(), "libtorch here does not use libgomp");
  }

  @ParameterizedTest(name = "{0} tasks on {1} threads")
  @CsvSource({"1, 1", "1, 4", "2, 2", "7, 2", "7, 3", "64, 4"})
  void runsEveryTaskExactlyOnceAcrossTheTeam(int tasks, int threads) {
    AtomicIntegerArray runs = new AtomicIntegerArray(tasks);
    Set<Thread> workers = ConcurrentHashMap.newKeySet();
    OpenMpTeam.find()
        .orElseThrow()
        .run(
            tasks,
            task -> {
              runs.incrementAndGet(task);
              workers.add(Thread.currentThread());
            },
            threads);
    for (int task = 0; task < tasks; task++) {
      assertThat(runs.get(task)).as("runs of task %d", task).isEqualTo(1);
    }
    assertThat(workers).hasSize(Math.min(tasks, threads)).contains(Thread.currentThread());
  }

  @Test
  void aFailingTaskIsRethrownOnTheCallerAndTheTeamStaysUsable() {
    OpenMpTeam team = OpenMpTeam.find().orElseThrow();
    assertThatThrownBy(
            () ->
                team.run(
                    4,
                    task -> {
                      if (task == 3) {
                        throw new IllegalArgumentException("task 3 broke");
                      }
                    },
                    2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("task 3 broke");
    AtomicIntegerArray runs = new AtomicIntegerArray(4);
    team.run(4, runs::incrementAndGet, 2);
    assertThat(runs.toString()).isEqualTo("[1, 1, 1, 1]");
  }
}
