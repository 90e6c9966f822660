package io.adapterplatform.serving.metrics;

import java.util.List;

/**
 * The model-server protocol's view of this server (Gateway API Inference Extension, vLLM's names).
 *
 * @param waiting requests waiting for admission ({@code vllm:num_requests_waiting})
 * @param running requests generating ({@code vllm:num_requests_running})
 * @param kvUsage reserved KV tokens over the budget, 0 to 1 ({@code vllm:gpu_cache_usage_perc})
 * @param maxLora adapter places of the device pool ({@code max_lora})
 * @param runningAdapters model names of running requests that use an adapter
 * @param waitingAdapters model names of waiting requests that use an adapter
 */
public record ModelServerState(
    int waiting,
    int running,
    double kvUsage,
    int maxLora,
    List<String> runningAdapters,
    List<String> waitingAdapters) {

  public ModelServerState {
    runningAdapters = List.copyOf(runningAdapters);
    waitingAdapters = List.copyOf(waitingAdapters);
  }
}
