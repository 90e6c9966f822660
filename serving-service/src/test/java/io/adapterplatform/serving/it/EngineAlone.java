package io.adapterplatform.serving.it;

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
 * The engine alone, one sequence at a time and greedy, as {@code bin/platform engine generate} runs
 * it: what every output of the server is compared with. {@link #generate} never stops early, so
 * {@code max} tokens come back; {@link #untilEnd} stops after an end-of-sequence id, as the server
 * does for a model that has one.
 */
public final class EngineAlone {

  /** The generated tokens and the log-probability of each under its own log-softmax. */
  public record Generation(List<Integer> tokens, List<Double> logprobs) {}

  // no token id is negative
  private static final int NO_END = -1;

  private EngineAlone() {}

  public static Generation generate(
      BaseModel model, AdapterWeights adapter, int[] prompt, int max) {
    return generate(model, adapter, prompt, max, NO_END);
  }

  /**
   * The greedy tokens up to {@code max}, or up to and including the first {@code endOfSequence}.
   */
  public static List<Integer> untilEnd(
      BaseModel model, AdapterWeights adapter, int[] prompt, int max, int endOfSequence) {
    return generate(model, adapter, prompt, max, endOfSequence).tokens();
  }

  private static Generation generate(
      BaseModel model, AdapterWeights adapter, int[] prompt, int max, int endOfSequence) {
    int vocab = model.dims().vocabSize();
    List<Integer> tokens = new ArrayList<>();
    List<Double> logprobs = new ArrayList<>();
    try (AdapterPool pool = adapter == null ? null : AdapterPool.of(model, List.of(adapter));
        KvCache cache = new KvCache(model)) {
      int[] input = prompt;
      while (tokens.size() < max) {
        float[] last;
        try (NDManager step = model.manager().newSubManager()) {
          AdapterHook hook =
              pool == null
                  ? AdapterHook.NONE
                  : pool.bind(step, new int[input.length], GroupedLora.Strategy.AUTO);
          last =
              model
                  .forwardLast(step, input, List.of(new Segment(input.length, cache)), hook)
                  .toFloatArray();
        }
        int next = 0;
        for (int i = 1; i < vocab; i++) {
          if (last[i] > last[next]) {
            next = i;
          }
        }
        tokens.add(next);
        logprobs.add(logSoftmaxAt(last, next));
        if (next == endOfSequence) {
          break;
        }
        input = new int[] {next};
      }
    }
    return new Generation(tokens, logprobs);
  }

  private static double logSoftmaxAt(float[] logits, int index) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double sum = 0;
    for (float l : logits) {
      sum += Math.exp(l - max);
    }
    return logits[index] - max - Math.log(sum);
  }
}
