package io.adapterplatform.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The keys and values one sequence has produced so far, per layer as [kvHeads, length, headDim].
 * It owns its own manager (a child of the model's), so it outlives the per-step managers; close it when
 * the sequence ends.
 */
public final class KvCache implements AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private int length;

    public KvCache(BaseModel model) {
        this.manager = model.manager().newSubManager();
        this.keys = new NDArray[model.dims().numLayers()];
        this.values = new NDArray[model.dims().numLayers()];
    }

    /** Tokens cached so far (the position of the next token). */
    public int length() {
        return length;
    }

    NDArray keys(int layer) {
        return keys[layer];
    }

    NDArray values(int layer) {
        return values[layer];
    }

    /** Keys/values of {@code layer} after appending k, v [kvHeads, n, headDim]; the cache keeps them. */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        NDArray newK = keys[layer] == null ? k.duplicate() : keys[layer].concat(k, 1);
        NDArray newV = values[layer] == null ? v.duplicate() : values[layer].concat(v, 1);
        newK.attach(manager);
        newV.attach(manager);
        if (keys[layer] != null) {
            keys[layer].close();
            values[layer].close();
        }
        keys[layer] = newK;
        values[layer] = newV;
        return new NDArray[] {newK, newV};
    }

    /** Called by the model once all layers of a forward have appended {@code n} tokens. */
    void advance(int n) {
        length += n;
    }

    @Override
    public void close() {
        manager.close();
    }
}
