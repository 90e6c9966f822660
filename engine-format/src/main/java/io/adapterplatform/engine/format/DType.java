package io.adapterplatform.engine.format;

import java.util.Optional;
import java.util.Set;

/**
 * The element types this platform stores, named as safetensors names them.
 *
 * <p>Other safetensors dtypes ({@code F64}, integer and FP8 types) are well-formed files we do not
 * support: {@link SafetensorsHeader} rejects them as {@link FormatException.Reason#INCONSISTENT}; a
 * name that is no safetensors dtype at all is {@link FormatException.Reason#MALFORMED}.
 */
public enum DType {
  F32(4),
  F16(2),
  BF16(2);

  /**
   * Every dtype name the safetensors format defines, so that we can tell "unsupported" from
   * "garbage".
   */
  static final Set<String> SAFETENSORS_NAMES =
      Set.of(
          "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "I16",
          "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64", "C64");

  private final int byteSize;

  DType(int byteSize) {
    this.byteSize = byteSize;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  /** The name safetensors uses for this dtype. */
  public String safetensorsName() {
    return name();
  }

  /** The dtype with this safetensors name, if it is one we support. */
  public static Optional<DType> fromSafetensorsName(String name) {
    for (DType d : values()) {
      if (d.name().equals(name)) {
        return Optional.of(d);
      }
    }
    return Optional.empty();
  }
}
