package io.adapterplatform.training.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.engine.train.JobCheckpoint;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointZipTest {

  @TempDir Path scratch;

  @Test
  void aStoredCheckpointReadsBackAsTheEngineWroteItAndGivesTheSameBytesEveryTime() {
    var checkpoint = checkpoint();

    byte[] stored = CheckpointZip.stored(checkpoint, scratch);
    var read = JobCheckpoint.readFrom(new ByteArrayInputStream(stored));
    var engines = JobCheckpoint.readFrom(new ByteArrayInputStream(checkpoint.toByteArray()));

    assertThat(read.state()).isEqualTo(checkpoint.state()).isEqualTo(engines.state());
    assertThat(read.tensors().keySet())
        .containsExactlyInAnyOrderElementsOf(checkpoint.tensors().keySet());
    for (var name : checkpoint.tensors().keySet()) {
      assertThat(read.tensors().get(name).values())
          .as(name)
          .isEqualTo(checkpoint.tensors().get(name).values());
      assertThat(read.tensors().get(name).shape())
          .isEqualTo(checkpoint.tensors().get(name).shape());
    }
    assertThat(CheckpointZip.stored(checkpoint, scratch)).isEqualTo(stored);
    // stored, not deflated: every value's four bytes are in it, and no scratch file is left
    assertThat(stored.length).isGreaterThan(3 * 4 * 64 * 64);
    assertThat(scratch.toFile().list()).isEmpty();
  }

  private static JobCheckpoint checkpoint() {
    var random = new SplittableRandom(5);
    var tensors = new LinkedHashMap<String, JobCheckpoint.Tensor>();
    for (var kind : List.of("param.", "exp_avg.", "exp_avg_sq.")) {
      float[] values = new float[64 * 64];
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) random.nextGaussian();
      }
      tensors.put(
          kind + "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
          new JobCheckpoint.Tensor(new long[] {64, 64}, values));
    }
    var state =
        new JobCheckpoint.State(
            1,
            "job-1",
            "LORA",
            7,
            3,
            0,
            3,
            16,
            List.of("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"));
    return new JobCheckpoint(state, tensors);
  }
}
