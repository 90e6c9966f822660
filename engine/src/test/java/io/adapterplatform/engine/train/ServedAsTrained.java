package io.adapterplatform.engine.train;

import ai.djl.ndarray.NDManager;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.fused.AdapterPool;
import io.adapterplatform.engine.fused.GroupedLora;
import io.adapterplatform.engine.model.AdapterHook;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.Segment;
import java.util.List;

/**
 * The logits of one sequence three ways: through a training job's own adapter (as the trainer runs
 * it), through that adapter as exported and served from a pool, and through the bare model. An
 * export is right when the first two agree; the third shows that training moved something.
 */
record ServedAsTrained(double[] trained, double[] served, double[] bare) {

  static ServedAsTrained of(
      BaseModel model, TrainingJob job, AdapterWeights exported, int[] tokens) {
    var segments = List.of(Segment.of(tokens.length));
    try (NDManager step = model.manager().newSubManager();
        AdapterPool pool = AdapterPool.of(model, List.of(exported))) {
      var training =
          new JobsHook(List.of(new JobsHook.Slice(0, tokens.length, job.adapter(), null, null)));
      return new ServedAsTrained(
          Float64.of(model.forward(step, tokens, segments, training)),
          Float64.of(
              model.forward(
                  step,
                  tokens,
                  segments,
                  pool.bind(step, new int[tokens.length], GroupedLora.Strategy.AUTO))),
          Float64.of(model.forward(step, tokens, segments, AdapterHook.NONE)));
    }
  }

  /** How far the served logits are from the trained ones (max relative error). */
  double servedError() {
    return Float64.maxRelativeError(served, trained);
  }

  /** How far the bare model's logits are from the trained ones (max relative error). */
  double bareDifference() {
    return Float64.maxRelativeError(bare, trained);
  }
}
