package io.adapterplatform.serving.batch;

import java.util.concurrent.CompletableFuture;

/** An accepted request: its completion, and a way to give it up. */
public final class GenerationHandle {

  private final Sequence sequence;
  private final ContinuousBatcher batcher;

  GenerationHandle(Sequence sequence, ContinuousBatcher batcher) {
    this.sequence = sequence;
    this.batcher = batcher;
  }

  /**
   * Completes with the finish (also sent to the sink), or exceptionally: {@link
   * GenerationTimeoutException}, a {@link java.util.concurrent.CancellationException} after {@link
   * #cancel()}, or the engine's failure. A copy: completing it does not affect the request.
   */
  public CompletableFuture<Finish> completion() {
    return sequence.done.copy();
  }

  /**
   * Gives the request up (the client disconnected): at the next step it leaves the queue or the
   * batch and its row and KV slot are freed. No further sink call is made. A no-op once finished.
   */
  public void cancel() {
    batcher.cancel(sequence);
  }
}
