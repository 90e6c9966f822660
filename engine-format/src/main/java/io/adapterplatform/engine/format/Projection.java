package io.adapterplatform.engine.format;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The seven linear modules of a LLaMA decoder layer that an adapter may target, in the order
 * adapters usually list them, with the block they live in ({@code self_attn} or {@code mlp}) as
 * their weight names spell it. The one enum for this concept across the engine: the pure-Java
 * format code and the DJL model, adapter, fused and training code all use it (the declaration order
 * is relied on as an index).
 */
public enum Projection {
  Q("q_proj", Block.SELF_ATTN),
  K("k_proj", Block.SELF_ATTN),
  V("v_proj", Block.SELF_ATTN),
  O("o_proj", Block.SELF_ATTN),
  GATE("gate_proj", Block.MLP),
  UP("up_proj", Block.MLP),
  DOWN("down_proj", Block.MLP);

  /** The sub-block of a decoder layer. */
  public enum Block {
    SELF_ATTN("self_attn"),
    MLP("mlp");

    private final String prefix;

    Block(String prefix) {
      this.prefix = prefix;
    }

    /** The name segment in weight keys, e.g. {@code self_attn}. */
    public String prefix() {
      return prefix;
    }
  }

  private final String module;
  private final Block block;

  Projection(String module, Block block) {
    this.module = module;
    this.block = block;
  }

  /** The module name as PEFT and HF spell it, e.g. {@code q_proj}. */
  public String module() {
    return module;
  }

  /** The sub-block that holds this module; {@link Block#prefix()} is its name segment. */
  public Block block() {
    return block;
  }

  /** True for q, k, v and o, the projections of the {@code self_attn} block. */
  public boolean isAttention() {
    return block == Block.SELF_ATTN;
  }

  /** True for the FFN projections (gate, up, down), the ones MixLoRA experts live on. */
  public boolean isFfn() {
    return block == Block.MLP;
  }

  /** {@code self_attn.q_proj}, the path of this module inside a decoder layer. */
  public String path() {
    return block.prefix() + "." + module;
  }

  /** The projection of that module name, if it is one. */
  public static Optional<Projection> of(String module) {
    for (Projection p : values()) {
      if (p.module.equals(module)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** All module names, in layer order. */
  public static List<String> modules() {
    return Arrays.stream(values()).map(Projection::module).toList();
  }
}
