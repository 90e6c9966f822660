package io.adapterplatform.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.testing.TinyModels;
import java.util.List;
import org.junit.jupiter.api.Test;

class TinyModelLearnsTest {

  @Test
  void aLoraOnATinyRandomModelLearnsToWalkACycleOfTokens() {
    ModelDims dims = TinyModels.smallDims();
    int[] cycle = {3, 41, 17, 58, 9, 26, 33, 50};
    List<TrainingExample> data = TinyTraining.cycleTask(cycle, 32, 10, 5);
    var config =
        new TrainingConfig(
            42,
            4,
            new AdamW.Hyper(0.9, 0.999, 1e-8, 0.0, 1.0),
            new LrSchedule(0.03, 2, 12, LrSchedule.Decay.COSINE));
    try (BaseModel model = TinyTraining.model(dims, 7);
        TrainingJob job = TrainingJob.lora("cycle", model, LoraSpec.all(8, 16), config, data)) {
      var trainer = new FusedTrainer(model);

      double first = trainer.step(List.of(job)).get(0).loss();
      double last = first;
      for (int s = 1; s < 12; s++) {
        last = trainer.step(List.of(job)).get(0).loss();
      }

      assertThat(first).isGreaterThan(2.0); // a random model does not know the cycle
      assertThat(last).isLessThan(0.3 * first);
    }
  }
}
