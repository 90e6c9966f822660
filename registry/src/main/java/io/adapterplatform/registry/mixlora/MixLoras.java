package io.adapterplatform.registry.mixlora;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import java.util.List;

/** The MixLoRA resources as the API shows them (names match the contract's schemas). */
final class MixLoras {

  private MixLoras() {}

  record RouterInit(String init, Double range, Long seed) {}

  record Compose(List<String> experts, Integer topK, RouterInit router, String attention) {}

  record ComposeRequest(Compose compose) {}

  record ExpertSource(String adapter, int version) {}

  record Tensor(String name, String dtype, List<Long> shape) {}

  /** {@code source} is left out for the experts of an uploaded (not composed) MixLoRA version. */
  @JsonInclude(Include.NON_NULL)
  record Expert(int index, ExpertSource source, List<Tensor> tensors) {}

  record MixLoraExperts(String adapter, int version, int numExperts, int topK, List<Expert> experts,
      List<Tensor> router, List<Tensor> attention) {}

  /** What a composed version stores to regenerate its weights: resolved sources and the router seed. */
  record Recipe(List<Long> experts, Long attention, int topK, double std, long seed) {}
}
