package io.adapterplatform.serving.engine;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A request's hold on a resident base model: while any lease is open the model is never unloaded,
 * and a shutdown waits for it (up to {@code platform.serving.engine.drain-timeout}). Closing it
 * twice is harmless.
 */
public final class ModelLease implements AutoCloseable {

  private final ServedModel model;
  private final Runnable release;
  private final AtomicBoolean closed = new AtomicBoolean();

  ModelLease(ServedModel model, Runnable release) {
    this.model = model;
    this.release = release;
  }

  public ServedModel model() {
    return model;
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      release.run();
    }
  }
}
