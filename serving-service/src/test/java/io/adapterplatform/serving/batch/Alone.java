package io.adapterplatform.serving.batch;

import ai.djl.ndarray.NDManager;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.fused.AdapterPool;
import io.adapterplatform.engine.fused.GroupedLora;
import io.adapterplatform.engine.model.AdapterHook;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.KvCache;
import io.adapterplatform.engine.model.Segment;
import java.util.ArrayList;
import java.util.List;

/**
 * The engine alone, one sequence at a time, as {@code bin/platform engine generate} and {@code
 * score} run it: the reference every batched output is compared with.
 */
final class Alone {

  /** Generated tokens and, per token, the log-softmax of the logits it was chosen from. */
  record Generation(List<Integer> tokens, List<double[]> logSoftmax) {}

  private Alone() {}

  static Generation generate(BaseModel model, AdapterWeights adapter, int[] prompt, int max) {
    int vocab = model.dims().vocabSize();
    List<Integer> tokens = new ArrayList<>();
    List<double[]> rows = new ArrayList<>();
    try (AdapterPool pool = adapter == null ? null : AdapterPool.of(model, List.of(adapter));
        KvCache cache = new KvCache(model)) {
      int[] input = prompt;
      while (tokens.size() < max) {
        float[] last;
        try (NDManager step = model.manager().newSubManager()) {
          last =
              model
                  .forwardLast(
                      step,
                      input,
                      List.of(new Segment(input.length, cache)),
                      hook(pool, step, input))
                  .toFloatArray();
        }
        int next = 0;
        for (int i = 1; i < vocab; i++) {
          if (last[i] > last[next]) {
            next = i;
          }
        }
        tokens.add(next);
        rows.add(logSoftmax(last, 0, vocab));
        input = new int[] {next};
      }
    }
    return new Generation(tokens, rows);
  }

  /** log-softmax of every prompt row's logits: row i scores token i + 1. */
  static List<double[]> score(BaseModel model, AdapterWeights adapter, int[] prompt) {
    int vocab = model.dims().vocabSize();
    try (AdapterPool pool = adapter == null ? null : AdapterPool.of(model, List.of(adapter));
        NDManager step = model.manager().newSubManager()) {
      float[] logits =
          model
              .forward(step, prompt, List.of(Segment.of(prompt.length)), hook(pool, step, prompt))
              .toFloatArray();
      List<double[]> rows = new ArrayList<>();
      for (int r = 0; r < prompt.length; r++) {
        rows.add(logSoftmax(logits, r * vocab, vocab));
      }
      return rows;
    }
  }

  private static AdapterHook hook(AdapterPool pool, NDManager step, int[] input) {
    return pool == null
        ? AdapterHook.NONE
        : pool.bind(step, new int[input.length], GroupedLora.Strategy.AUTO);
  }

  static double[] logSoftmax(float[] logits, int offset, int vocab) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < vocab; i++) {
      max = Math.max(max, logits[offset + i]);
    }
    double sum = 0;
    for (int i = 0; i < vocab; i++) {
      sum += Math.exp(logits[offset + i] - max);
    }
    double[] out = new double[vocab];
    for (int i = 0; i < vocab; i++) {
      out[i] = logits[offset + i] - max - Math.log(sum);
    }
    return out;
  }
}
