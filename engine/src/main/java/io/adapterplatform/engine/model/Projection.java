package io.adapterplatform.engine.model;

/**
 * The seven linear projections of a LLaMA-family decoder layer, in the order adapters usually list them.
 * {@link #module()} is the Hugging Face module name ({@code q_proj}, ...) and {@link #block()} the
 * sub-module that holds it ({@code self_attn} or {@code mlp}).
 */
public enum Projection {
    Q("q_proj", "self_attn"),
    K("k_proj", "self_attn"),
    V("v_proj", "self_attn"),
    O("o_proj", "self_attn"),
    GATE("gate_proj", "mlp"),
    UP("up_proj", "mlp"),
    DOWN("down_proj", "mlp");

    private final String module;
    private final String block;

    Projection(String module, String block) {
        this.module = module;
        this.block = block;
    }

    /** Hugging Face module name, e.g. {@code q_proj}. */
    public String module() {
        return module;
    }

    /** {@code self_attn} or {@code mlp}. */
    public String block() {
        return block;
    }

    /** True for the FFN projections (gate, up, down), the ones MixLoRA experts live on. */
    public boolean isFfn() {
        return block.equals("mlp");
    }

    /** The projection whose Hugging Face module name is {@code module}, or null when there is none. */
    public static Projection fromModule(String module) {
        for (Projection p : values()) {
            if (p.module.equals(module)) {
                return p;
            }
        }
        return null;
    }
}
