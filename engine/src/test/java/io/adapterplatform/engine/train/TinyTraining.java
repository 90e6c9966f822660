package io.adapterplatform.engine.train;

import io.adapterplatform.engine.TestDevice;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.testing.TinyModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Tiny random models and synthetic data sets for the training tests. */
final class TinyTraining {

  private TinyTraining() {}

  static BaseModel model(ModelDims dims, long seed) {
    Map<String, float[]> weights = TinyModels.randomWeights(dims, seed);
    return BaseModel.fromWeights(dims, (name, shape) -> weights.get(name), TestDevice.device());
  }

  /**
   * Sequences that walk a fixed cycle of {@code cycle.length} tokens from a random start; prompt =
   * first token.
   */
  static List<TrainingExample> cycleTask(int[] cycle, int count, int length, long seed) {
    var rng = new SplittableRandom(seed);
    List<TrainingExample> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int start = rng.nextInt(cycle.length);
      int[] tokens = new int[length];
      for (int t = 0; t < length; t++) {
        tokens[t] = cycle[(start + t) % cycle.length];
      }
      out.add(new TrainingExample(tokens, 1));
    }
    return out;
  }

  /**
   * Random token sequences of random lengths in [minLength, maxLength] with a random prompt part.
   */
  static List<TrainingExample> randomTask(
      int vocab, int count, int minLength, int maxLength, long seed) {
    var rng = new SplittableRandom(seed);
    List<TrainingExample> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int length = rng.nextInt(minLength, maxLength + 1);
      int[] tokens = new int[length];
      for (int t = 0; t < length; t++) {
        tokens[t] = rng.nextInt(vocab);
      }
      out.add(new TrainingExample(tokens, rng.nextInt(0, length - 1)));
    }
    return out;
  }
}
