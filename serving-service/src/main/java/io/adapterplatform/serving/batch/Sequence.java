package io.adapterplatform.serving.batch;

import io.adapterplatform.engine.model.KvCache;
import java.time.Instant;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * The state of one accepted request. Everything but {@link #cancelled} belongs to the step thread.
 */
final class Sequence {

  final GenerationRequest request;
  final GenerationSink sink;
  final Instant deadline;
  final CompletableFuture<Finish> done = new CompletableFuture<>();
  final SplittableRandom random;
  final long kvReservation;
  volatile boolean cancelled;

  KvCache cache; // from admission until the end; null for requests that need no forward
  int prefilled; // prompt tokens in the cache
  int generated;
  int lastToken;

  Sequence(GenerationRequest request, GenerationSink sink, Instant deadline) {
    this.request = request;
    this.sink = sink;
    this.deadline = deadline;
    this.random = new SplittableRandom(request.sampling().seed());
    this.kvReservation = (long) request.promptLength() + request.maxTokens();
  }

  boolean decoding() {
    return prefilled == request.promptLength();
  }

  /** Echo with log-probabilities: every prompt row's logits are needed. */
  boolean scoresPrompt() {
    return request.echo() && request.logprobs().isPresent();
  }

  /** A request that neither generates nor scores its prompt ends at admission. */
  boolean needsForward() {
    return request.maxTokens() > 0 || scoresPrompt();
  }

  void closeCache() {
    if (cache != null) {
      cache.close();
      cache = null;
    }
  }
}
