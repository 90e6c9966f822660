package io.adapterplatform.serving.engine;

/**
 * A base model the engine holds or is loading, as health and tests see it.
 *
 * @param name the base model
 * @param pinned listed in {@code platform.serving.base-models}: loaded at start-up, never unloaded
 * @param state where it is in its life
 * @param inFlight open {@link ModelLease}s (requests running on it)
 * @param loads how often it was loaded since the server started (a reload after unloading counts)
 */
public record ResidentModel(String name, boolean pinned, State state, int inFlight, long loads) {

  public enum State {
    /** Fetching its files, loading the weights or warming up the kernels at the served sizes. */
    LOADING,
    /** Loaded and warmed up: requests run on it. */
    SERVING,
    /** Chosen to make room: its batcher drains, then its pool places are forgotten. */
    UNLOADING
  }
}
