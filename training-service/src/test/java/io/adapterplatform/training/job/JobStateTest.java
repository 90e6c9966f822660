package io.adapterplatform.training.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JobStateTest {

  @Test
  void aJobMovesForwardOnlyAndEndStatesAreFinal() {
    assertThat(JobState.QUEUED.canMoveTo(JobState.RUNNING)).isTrue();
    assertThat(JobState.QUEUED.canMoveTo(JobState.CANCELLED)).isTrue();
    assertThat(JobState.RUNNING.canMoveTo(JobState.SUCCEEDED)).isTrue();
    assertThat(JobState.RUNNING.canMoveTo(JobState.FAILED)).isTrue();
    assertThat(JobState.RUNNING.canMoveTo(JobState.CANCELLED)).isTrue();
    assertThat(JobState.QUEUED.canMoveTo(JobState.SUCCEEDED)).isFalse();
    assertThat(JobState.RUNNING.canMoveTo(JobState.QUEUED)).isFalse();
    for (JobState end : new JobState[] {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED}) {
      assertThat(end.isTerminal()).isTrue();
      for (JobState next : JobState.values()) {
        assertThat(end.canMoveTo(next)).as(end + " -> " + next).isFalse();
      }
    }
  }
}
