package io.adapterplatform.training.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.training.job.JobReports;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class JobWritesTest {

  private static final Duration INTERVAL = Duration.ofSeconds(1);

  private final AtomicLong nanos = new AtomicLong();

  /** What reached the lane, in order: "steps:1,2" or the name of a task. */
  private final List<String> written = new CopyOnWriteArrayList<>();

  private final JobWrites writes =
      new JobWrites(
          new JobLanes("test", 0),
          INTERVAL,
          (job, steps) ->
              written.add(
                  "steps:"
                      + String.join(
                          ",", steps.stream().map(s -> String.valueOf(s.step())).toList())),
          nanos::get);

  private final UUID job = UUID.randomUUID();

  @Test
  void theFirstStepGoesAtOnceAndLaterOnesTogetherOnceTheIntervalHasPassed() {
    firstTwoOfAHundredSteps(job);
    writes.step(job, step(3, 100));
    assertThat(written).containsExactly("steps:1");
    assertThat(writes.keptSteps()).isEqualTo(2);

    nanos.addAndGet(INTERVAL.toNanos());
    writes.step(job, step(4, 100));

    assertThat(written).containsExactly("steps:1", "steps:2,3,4");
    assertThat(writes.keptSteps()).isZero();
  }

  @Test
  void theLastStepGoesAtOnceWithThoseKeptBeforeIt() {
    writes.step(job, step(1, 3));
    writes.step(job, step(2, 3));
    writes.step(job, step(3, 3));

    assertThat(written).containsExactly("steps:1", "steps:2,3");
  }

  @Test
  void anotherWriteAboutTheJobComesAfterItsKeptSteps() {
    UUID other = UUID.randomUUID();
    firstTwoOfAHundredSteps(job);
    firstTwoOfAHundredSteps(other);

    writes.run(job, () -> written.add("checkpoint"));

    assertThat(written).containsExactly("steps:1", "steps:1", "steps:2", "checkpoint");
    assertThat(writes.keptSteps()).as("the other job's step 2 is still kept").isEqualTo(1);
  }

  @Test
  void aGracefulStopWritesEveryJobsKeptStepsAndAForgottenJobsAreDropped() {
    UUID forgotten = UUID.randomUUID();
    firstTwoOfAHundredSteps(job);
    firstTwoOfAHundredSteps(forgotten);

    writes.forget(forgotten);
    writes.writeAllSteps();

    assertThat(written).containsExactly("steps:1", "steps:1", "steps:2");
    assertThat(writes.keptSteps()).isZero();
  }

  @Test
  void aZeroIntervalWritesEveryStepAndAFullBufferIsWrittenWhateverTheInterval() {
    var everyStep =
        new JobWrites(
            new JobLanes("test", 0),
            Duration.ZERO,
            (id, steps) -> written.add("steps:" + steps.size()),
            nanos::get);
    everyStep.step(job, step(1, 10_000));
    everyStep.step(job, step(2, 10_000));
    assertThat(written).containsExactly("steps:1", "steps:1");

    written.clear();
    for (int s = 3; s < 4 + JobWrites.MAX_KEPT_STEPS; s++) {
      writes.step(job, step(s, 10_000));
    }
    assertThat(written).hasSize(2);
    assertThat(written.get(1).split(",")).hasSize(JobWrites.MAX_KEPT_STEPS);
  }

  // the first goes at once, the second is kept: the interval has not passed
  private void firstTwoOfAHundredSteps(UUID id) {
    writes.step(id, step(1, 100));
    writes.step(id, step(2, 100));
  }

  private static JobReports.Step step(int step, int total) {
    return new JobReports.Step(step, total, 2.0, 0.0, 1e-3, 1.0, 100.0, List.of(), null);
  }
}
