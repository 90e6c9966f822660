package io.adapterplatform.serving.batch;

/**
 * Where a request's output goes: its tokens in order, then exactly one of {@link #onFinish} or
 * {@link #onError}. A cancelled request gets no further call. Every call comes from the batcher's
 * step thread, between two forward passes: a sink must return quickly (hand the event to a queue or
 * a non-blocking writer), and one that throws is treated as a disconnected client (the request is
 * cancelled).
 */
public interface GenerationSink {

  void onToken(TokenEvent token);

  void onFinish(Finish finish);

  /** The request timed out ({@link GenerationTimeoutException}) or the engine failed. */
  void onError(Throwable error);
}
