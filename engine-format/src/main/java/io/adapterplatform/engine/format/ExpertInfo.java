package io.adapterplatform.engine.format;

import java.util.List;

/**
 * One MixLoRA expert: its index, the MLP projections it adapts (the same in every layer), and its
 * tensors (A and B of each projection of each layer, by layer then projection).
 */
public record ExpertInfo(int index, List<String> projections, List<TensorInfo> tensors) {

  public ExpertInfo {
    projections = List.copyOf(projections);
    tensors = List.copyOf(tensors);
  }

  /** Bytes of all this expert's tensors. */
  public long byteLength() {
    return tensors.stream().mapToLong(TensorInfo::byteLength).sum();
  }
}
