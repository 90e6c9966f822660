package io.adapterplatform.serving.batch;

import static io.adapterplatform.serving.batch.ServingFixture.MODEL;
import static io.adapterplatform.serving.batch.ServingFixture.adapterAt;
import static io.adapterplatform.serving.batch.ServingFixture.batcher;
import static io.adapterplatform.serving.batch.ServingFixture.prompt;
import static io.adapterplatform.serving.batch.ServingFixture.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.adapterplatform.test.time.MovableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ContinuousBatcherTest {

  private static final long WAIT_S = 60;

  /** One request of a scenario, with what it must produce. */
  private record Submitted(
      GenerationRequest request, CollectingSink sink, GenerationHandle handle) {

    Finish finish() throws Exception {
      return handle.completion().get(WAIT_S, TimeUnit.SECONDS);
    }
  }

  @Test
  void sixteenConcurrentRequestsOverEightAdaptersOfEveryKindEqualEachGeneratedAlone()
      throws Exception {
    List<GenerationRequest> requests = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      int slot = i % 9 - 1; // the base model and all eight adapters, twice or more
      requests.add(
          GenerationRequest.greedy(prompt(1 + (i * 7) % 23, 100 + i), slot, 3 + i % 6)
              .withLogprobs(i % 2 == 0 ? 3 : 0));
    }
    List<Submitted> submitted = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (ContinuousBatcher batcher = batcher(settings())) {
      // eight at once (a full batch); each later one joins when an earlier one emits its 2nd token
      CountDownLatch allSubmitted = new CountDownLatch(16);
      for (int i = 0; i < 8; i++) {
        int later = i + 8;
        CollectingSink sink =
            new CollectingSink(
                (n, e) -> {
                  if (n == 2) {
                    submitted.add(submit(batcher, requests.get(later), new CollectingSink()));
                    allSubmitted.countDown();
                  }
                });
        submitted.add(submit(batcher, requests.get(i), sink));
        allSubmitted.countDown();
      }
      assertThat(allSubmitted.await(WAIT_S, TimeUnit.SECONDS)).isTrue();

      for (Submitted s : submitted) {
        Finish f = s.finish();
        GenerationRequest r = s.request();
        Alone.Generation alone =
            Alone.generate(MODEL, adapterAt(r.adapterSlot()), r.promptTokens(), r.maxTokens());
        assertThat(s.sink().generatedTokens()).as(r.toString()).isEqualTo(alone.tokens());
        assertLogprobsMatch(s.sink().generatedEvents(), alone, r.logprobs().getAsInt());
        assertThat(f)
            .isEqualTo(new Finish(FinishReason.LENGTH, r.promptTokens().length, r.maxTokens()));
        assertThat(s.sink().finish).isEqualTo(f);
      }
      assertThat(batcher.stats().steps()).isPositive();
      assertThat(batcher.stats().forwardNanos()).isPositive();
    }
  }

  @Test
  void seededSamplingGivesTheSameTokensWhateverItsBatchMates() throws Exception {
    GenerationRequest sampled =
        GenerationRequest.greedy(prompt(9, 7), 5, 16).withSampling(new Sampling(1.5, 0.95, 42));
    List<Integer> alone;
    try (ContinuousBatcher batcher = batcher(settings())) {
      Submitted s = submit(batcher, sampled, new CollectingSink());
      s.finish();
      alone = s.sink().generatedTokens();
    }
    List<Integer> withMates;
    List<Integer> otherSeed;
    try (ContinuousBatcher batcher = batcher(settings().withPrefillChunkTokens(3))) {
      AtomicReference<Submitted> late = new AtomicReference<>();
      CountDownLatch joined = new CountDownLatch(1);
      for (int i = 0; i < 5; i++) {
        int n = i;
        submit(
            batcher,
            GenerationRequest.greedy(prompt(4 + 3 * i, 200 + i), i - 1, 20)
                .withSampling(new Sampling(0.8, 1.0, i)),
            new CollectingSink(
                (count, e) -> {
                  if (n == 2 && count == 3) {
                    late.set(submit(batcher, sampled, new CollectingSink()));
                    joined.countDown();
                  }
                }));
      }
      Submitted other =
          submit(batcher, sampled.withSampling(new Sampling(1.5, 0.95, 43)), new CollectingSink());
      assertThat(joined.await(WAIT_S, TimeUnit.SECONDS)).isTrue();
      late.get().finish();
      other.finish();
      withMates = late.get().sink().generatedTokens();
      otherSeed = other.sink().generatedTokens();
    }

    assertThat(withMates).isEqualTo(alone).hasSize(16);
    assertThat(otherSeed).isNotEqualTo(alone);
  }

  @Test
  void chunkedPrefillEqualsUnchunkedAndEchoScoresThePromptAsTheEngineDoes() throws Exception {
    List<GenerationRequest> requests = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      requests.add(
          GenerationRequest.greedy(prompt(30 + 5 * i, 300 + i), 2 * i + 1, 5)
              .withEcho(true)
              .withLogprobs(2));
    }
    List<List<TokenEvent>> chunked = run(settings().withPrefillChunkTokens(4), requests);
    List<List<TokenEvent>> whole =
        run(settings().withMaxTokensPerStep(256).withPrefillChunkTokens(256), requests);

    for (int i = 0; i < requests.size(); i++) {
      GenerationRequest r = requests.get(i);
      List<TokenEvent> a = chunked.get(i);
      List<TokenEvent> b = whole.get(i);
      assertThat(a).hasSize(r.promptTokens().length + 5).hasSameSizeAs(b);
      for (int k = 0; k < a.size(); k++) {
        assertThat(a.get(k).tokenId()).isEqualTo(b.get(k).tokenId());
        assertThat(a.get(k).prompt()).isEqualTo(b.get(k).prompt());
        if (k > 0) {
          assertThat(a.get(k).logprobs().logprob())
              .isCloseTo(b.get(k).logprobs().logprob(), within(1e-4));
        }
      }
      // echo: the prompt first, its first token without log-probability, then row i - 1's score
      List<double[]> score = Alone.score(MODEL, adapterAt(r.adapterSlot()), r.promptTokens());
      int[] p = r.promptTokens();
      assertThat(a.get(0)).isEqualTo(new TokenEvent(p[0], true, null));
      for (int k = 1; k < p.length; k++) {
        assertThat(a.get(k).tokenId()).isEqualTo(p[k]);
        assertThat(a.get(k).prompt()).isTrue();
        assertThat(a.get(k).logprobs().logprob()).isCloseTo(score.get(k - 1)[p[k]], within(1e-4));
        assertTop(a.get(k).logprobs(), score.get(k - 1), 2);
      }
      Alone.Generation alone = Alone.generate(MODEL, adapterAt(r.adapterSlot()), p, 5);
      assertThat(a.subList(p.length, a.size()).stream().map(TokenEvent::tokenId).toList())
          .isEqualTo(alone.tokens());
    }
  }

  @Test
  void maxTokensZeroScoresOrEchoesThePromptOnly() throws Exception {
    int[] p = prompt(6, 11);
    GenerationRequest scored = GenerationRequest.greedy(p, 3, 0).withEcho(true).withLogprobs(1);
    GenerationRequest echoed = GenerationRequest.greedy(p, 3, 0).withEcho(true);
    GenerationRequest nothing = GenerationRequest.greedy(p, 3, 0);
    List<List<TokenEvent>> out = run(settings(), List.of(scored, echoed, nothing));

    List<double[]> score = Alone.score(MODEL, adapterAt(3), p);
    assertThat(out.get(0)).hasSize(6).allMatch(TokenEvent::prompt);
    assertThat(out.get(0).get(0).logprobs()).isNull();
    for (int k = 1; k < 6; k++) {
      assertThat(out.get(0).get(k).logprobs().logprob())
          .isCloseTo(score.get(k - 1)[p[k]], within(1e-4));
    }
    assertThat(out.get(1).stream().map(TokenEvent::tokenId).toList())
        .containsExactly(java.util.Arrays.stream(p).boxed().toArray(Integer[]::new));
    assertThat(out.get(1)).allMatch(e -> e.prompt() && e.logprobs() == null);
    assertThat(out.get(2)).isEmpty();
  }

  @Test
  void aStopTokenEndsTheRequestAfterEmittingIt() throws Exception {
    int[] p = prompt(5, 21);
    List<Integer> alone = Alone.generate(MODEL, adapterAt(6), p, 12).tokens();
    int k = 1;
    while (alone.subList(0, k).contains(alone.get(k))) {
      k++;
    }
    int stop = alone.get(k);

    try (ContinuousBatcher batcher = batcher(settings())) {
      Submitted s =
          submit(
              batcher,
              GenerationRequest.greedy(p, 6, 12).withStopTokenIds(Set.of(stop)),
              new CollectingSink());

      assertThat(s.finish()).isEqualTo(new Finish(FinishReason.STOP, 5, k + 1));
      assertThat(s.sink().generatedTokens()).isEqualTo(alone.subList(0, k + 1));
    }
  }

  @Test
  void cancellingFreesTheRowSoThatAWaitingRequestIsAdmitted() throws Exception {
    try (ContinuousBatcher batcher = batcher(settings().withMaxRows(1))) {
      CountDownLatch started = new CountDownLatch(1);
      Submitted longOne =
          submit(
              batcher,
              GenerationRequest.greedy(prompt(3, 1), 0, 250),
              new CollectingSink((n, e) -> started.countDown()));
      assertThat(started.await(WAIT_S, TimeUnit.SECONDS)).isTrue();
      GenerationRequest small = GenerationRequest.greedy(prompt(4, 2), 5, 3);
      Submitted waiting = submit(batcher, small, new CollectingSink());

      longOne.handle().cancel();

      assertThat(waiting.finish().completionTokens()).isEqualTo(3);
      assertThat(waiting.sink().generatedTokens())
          .isEqualTo(Alone.generate(MODEL, adapterAt(5), small.promptTokens(), 3).tokens());
      assertThatThrownBy(() -> longOne.handle().completion().join())
          .isInstanceOf(CompletionException.class)
          .hasCauseInstanceOf(CancellationException.class);
      assertThat(longOne.sink().generatedTokens().size()).isLessThan(250);
      assertThat(longOne.sink().finish).isNull();
      assertThat(longOne.sink().error).isNull();
    }
  }

  @Test
  void aFullQueueRejectsNewRequestsAndLosesNoneOfTheAccepted() throws Exception {
    try (ContinuousBatcher batcher = batcher(settings().withMaxRows(1).withQueueCapacity(2))) {
      CountDownLatch gateEntered = new CountDownLatch(1);
      CountDownLatch gate = new CountDownLatch(1);
      // the running request holds the step thread in a pool mutation while the queue fills
      Submitted running =
          submit(
              batcher,
              GenerationRequest.greedy(prompt(3, 5), 1, 4),
              new CollectingSink(
                  (n, e) -> {
                    if (n == 1) {
                      batcher.betweenSteps(
                          pool -> {
                            gateEntered.countDown();
                            awaitQuietly(gate);
                          });
                    }
                  }));
      assertThat(gateEntered.await(WAIT_S, TimeUnit.SECONDS)).isTrue();
      Submitted first =
          submit(batcher, GenerationRequest.greedy(prompt(3, 6), 4, 3), new CollectingSink());
      Submitted second =
          submit(batcher, GenerationRequest.greedy(prompt(3, 7), 7, 3), new CollectingSink());

      assertThatThrownBy(
              () ->
                  batcher.submit(
                      GenerationRequest.greedy(prompt(3, 8), 0, 3), new CollectingSink()))
          .isInstanceOf(QueueFullException.class);
      assertThat(batcher.stats().waiting()).isLessThanOrEqualTo(2);
      gate.countDown();

      for (Submitted s : List.of(running, first, second)) {
        GenerationRequest r = s.request();
        assertThat(s.finish().reason()).isEqualTo(FinishReason.LENGTH);
        assertThat(s.sink().generatedTokens())
            .isEqualTo(
                Alone.generate(MODEL, adapterAt(r.adapterSlot()), r.promptTokens(), r.maxTokens())
                    .tokens());
      }
    }
  }

  @Test
  void aRequestPastItsTimeoutFailsWhileItsBatchMateFinishes() throws Exception {
    MovableClock clock = new MovableClock();
    GenerationRequest mate = GenerationRequest.greedy(prompt(5, 31), 7, 8);
    try (ContinuousBatcher batcher =
        new ContinuousBatcher(MODEL, ServingFixture.LAYOUT.reserve(MODEL), settings(), clock)) {
      batcher
          .betweenSteps(
              pool -> {
                for (int i = 0; i < ServingFixture.ADAPTERS.size(); i++) {
                  pool.put(i, ServingFixture.ADAPTERS.get(i));
                }
              })
          .join();
      Submitted slow =
          submit(
              batcher,
              GenerationRequest.greedy(prompt(4, 30), 2, 200).withTimeout(Duration.ofSeconds(5)),
              new CollectingSink(
                  (n, e) -> {
                    if (n == 2) {
                      clock.advance(Duration.ofSeconds(6));
                    }
                  }));
      Submitted finishing = submit(batcher, mate, new CollectingSink());

      assertThatThrownBy(() -> slow.handle().completion().join())
          .hasCauseInstanceOf(GenerationTimeoutException.class);
      assertThat(slow.sink().error).isInstanceOf(GenerationTimeoutException.class);
      assertThat(slow.sink().generatedTokens()).hasSizeLessThan(200);
      assertThat(finishing.finish().reason()).isEqualTo(FinishReason.LENGTH);
      assertThat(finishing.sink().generatedTokens())
          .isEqualTo(Alone.generate(MODEL, adapterAt(7), mate.promptTokens(), 8).tokens());
    }
  }

  @Test
  void aRequestTimesOutInTheQueueWhileTheRowIsTaken() throws Exception {
    MovableClock clock = new MovableClock();
    try (ContinuousBatcher batcher =
        new ContinuousBatcher(
            MODEL, ServingFixture.LAYOUT.reserve(MODEL), settings().withMaxRows(1), clock)) {
      CountDownLatch started = new CountDownLatch(1);
      CountDownLatch queued = new CountDownLatch(1);
      Submitted running =
          submit(
              batcher,
              GenerationRequest.greedy(prompt(3, 32), -1, 6),
              new CollectingSink(
                  (n, e) -> {
                    if (n == 1) {
                      started.countDown();
                      awaitQuietly(queued);
                      clock.advance(Duration.ofSeconds(6));
                    }
                  }));
      assertThat(started.await(WAIT_S, TimeUnit.SECONDS)).isTrue();
      Submitted waiting =
          submit(
              batcher,
              GenerationRequest.greedy(prompt(3, 33), 0, 2).withTimeout(Duration.ofSeconds(5)),
              new CollectingSink());
      queued.countDown();

      assertThatThrownBy(() -> waiting.handle().completion().join())
          .hasCauseInstanceOf(GenerationTimeoutException.class);
      assertThat(waiting.sink().events).isEmpty();
      assertThat(running.finish().completionTokens()).isEqualTo(6);
    }
  }

  @Test
  void theKvBudgetHoldsBackARequestUntilTheRunningOneLeaves() throws Exception {
    List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();
    BatcherSettings tight = settings().withSequenceLimits(64, 64);
    try (ContinuousBatcher batcher = batcher(tight)) {
      Submitted first =
          submit(
              batcher,
              GenerationRequest.greedy(prompt(10, 34), 1, 30),
              CollectingSink.logging(log, "first"));
      Submitted second =
          submit(
              batcher,
              GenerationRequest.greedy(prompt(10, 35), 2, 30),
              CollectingSink.logging(log, "second"));

      first.finish();
      second.finish();
      assertThat(log.indexOf("first finished")).isLessThan(log.indexOf("second token"));
      batcher.betweenSteps(pool -> {}).join(); // stats are published after each step
      assertThat(batcher.stats().kvTokensReserved()).isZero();
      assertThat(batcher.stats().running()).isZero();
    }
  }

  @Test
  void aPlaceWrittenBetweenStepsServesTheNewAdapterWhileOthersKeepDecoding() throws Exception {
    int[] px = prompt(6, 41);
    int[] pz = prompt(5, 42);
    try (ContinuousBatcher batcher = batcher(settings())) {
      // place 1 holds ADAPTERS[1]; it is rewritten with ADAPTERS[3] (a DoRA) while x decodes
      AtomicReference<Submitted> z = new AtomicReference<>();
      CountDownLatch zSubmitted = new CountDownLatch(1);
      Submitted x =
          submit(
              batcher,
              GenerationRequest.greedy(px, 0, 10),
              new CollectingSink(
                  (n, e) -> {
                    if (n == 3) {
                      batcher
                          .betweenSteps(pool -> pool.put(1, ServingFixture.ADAPTERS.get(3)))
                          .thenRun(
                              () -> {
                                z.set(
                                    submit(
                                        batcher,
                                        GenerationRequest.greedy(pz, 1, 6).withLogprobs(0),
                                        new CollectingSink()));
                                zSubmitted.countDown();
                              });
                    }
                  }));
      assertThat(zSubmitted.await(WAIT_S, TimeUnit.SECONDS)).isTrue();

      x.finish();
      z.get().finish();
      assertThat(x.sink().generatedTokens())
          .isEqualTo(Alone.generate(MODEL, adapterAt(0), px, 10).tokens());
      Alone.Generation written = Alone.generate(MODEL, ServingFixture.ADAPTERS.get(3), pz, 6);
      Alone.Generation before = Alone.generate(MODEL, adapterAt(1), pz, 6);
      List<TokenEvent> zEvents = z.get().sink().generatedEvents();
      assertThat(z.get().sink().generatedTokens()).isEqualTo(written.tokens());
      assertLogprobsMatch(zEvents, written, 0);
      // the place's former adapter scores these tokens differently (well beyond the 1e-4 match)
      double largest = 0;
      for (int k = 0; k < zEvents.size(); k++) {
        double formerScore = before.logSoftmax().get(k)[zEvents.get(k).tokenId()];
        largest = Math.max(largest, Math.abs(zEvents.get(k).logprobs().logprob() - formerScore));
      }
      assertThat(largest).isGreaterThan(1e-3);
    }
  }

  @Test
  void aMutationRunsAtOnceWhenIdleAndOneThatFailsLeavesTheBatcherServing() throws Exception {
    try (ContinuousBatcher batcher = batcher(settings())) {
      batcher.betweenSteps(pool -> pool.clear(2)).get(WAIT_S, TimeUnit.SECONDS);
      assertThatThrownBy(
              () ->
                  batcher
                      .betweenSteps(pool -> pool.put(0, ServingFixture.ADAPTERS.get(5)))
                      .get(WAIT_S, TimeUnit.SECONDS))
          .hasCauseInstanceOf(IllegalArgumentException.class);

      int[] p = prompt(4, 51);
      Submitted cleared = submit(batcher, GenerationRequest.greedy(p, 2, 4), new CollectingSink());
      Submitted kept = submit(batcher, GenerationRequest.greedy(p, 0, 4), new CollectingSink());
      cleared.finish();
      kept.finish();
      assertThat(cleared.sink().generatedTokens())
          .isEqualTo(Alone.generate(MODEL, null, p, 4).tokens());
      assertThat(kept.sink().generatedTokens())
          .isEqualTo(Alone.generate(MODEL, adapterAt(0), p, 4).tokens());
    }
  }

  @Test
  void closeDrainsEveryAcceptedRequestThenRefusesNewOnes() throws Exception {
    List<Submitted> accepted = new ArrayList<>();
    ContinuousBatcher batcher = batcher(settings().withMaxRows(2));
    for (int i = 0; i < 5; i++) {
      accepted.add(
          submit(
              batcher,
              GenerationRequest.greedy(prompt(3 + i, 60 + i), i, 4),
              new CollectingSink()));
    }

    batcher.close();

    for (Submitted s : accepted) {
      assertThat(s.handle().completion()).isCompleted();
      assertThat(s.finish().completionTokens()).isEqualTo(4);
    }
    assertThatThrownBy(
            () ->
                batcher.submit(GenerationRequest.greedy(prompt(3, 1), 0, 1), new CollectingSink()))
        .isInstanceOf(RejectedExecutionException.class);
    assertThat(batcher.betweenSteps(pool -> {})).isCompletedExceptionally();
  }

  @Test
  void requestsThatDoNotFitTheModelOrTheLimitsAreRefusedAtSubmission() {
    try (ContinuousBatcher batcher = batcher(settings())) {
      int vocab = ServingFixture.DIMS.vocabSize();
      assertThatThrownBy(
              () ->
                  batcher.submit(
                      GenerationRequest.greedy(new int[] {1, vocab}, 0, 1), new CollectingSink()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("outside the vocabulary");
      assertThatThrownBy(
              () ->
                  batcher.submit(
                      GenerationRequest.greedy(new int[] {1}, 8, 1), new CollectingSink()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("outside the pool");
      assertThatThrownBy(
              () ->
                  batcher.submit(
                      GenerationRequest.greedy(prompt(200, 1), 0, 57), new CollectingSink()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("256");
      assertThatThrownBy(() -> GenerationRequest.greedy(new int[0], 0, 1))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> GenerationRequest.greedy(new int[] {1}, 0, 1).withLogprobs(21))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> new Sampling(-1, 1, 0)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> new Sampling(1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  // ---- helpers

  private static Submitted submit(ContinuousBatcher b, GenerationRequest r, CollectingSink sink) {
    return new Submitted(r, sink, b.submit(r, sink));
  }

  private static List<List<TokenEvent>> run(
      BatcherSettings settings, List<GenerationRequest> requests) throws Exception {
    try (ContinuousBatcher batcher = batcher(settings)) {
      List<Submitted> submitted = new ArrayList<>();
      for (GenerationRequest r : requests) {
        submitted.add(submit(batcher, r, new CollectingSink()));
      }
      List<List<TokenEvent>> out = new ArrayList<>();
      for (Submitted s : submitted) {
        s.finish();
        out.add(List.copyOf(s.sink().events));
      }
      return out;
    }
  }

  private static void assertLogprobsMatch(
      List<TokenEvent> events, Alone.Generation alone, int top) {
    for (int k = 0; k < events.size(); k++) {
      double[] row = alone.logSoftmax().get(k);
      TokenLogprobs lp = events.get(k).logprobs();
      assertThat(lp.logprob()).isCloseTo(row[alone.tokens().get(k)], within(1e-4));
      assertTop(lp, row, top);
    }
  }

  private static void assertTop(TokenLogprobs lp, double[] row, int top) {
    assertThat(lp.top()).hasSize(top);
    for (int j = 0; j < top; j++) {
      TopLogprob t = lp.top().get(j);
      assertThat(t.logprob()).isCloseTo(row[t.tokenId()], within(1e-4));
      int rank = 0;
      for (double v : row) {
        if (v > row[t.tokenId()] + 1e-4) {
          rank++;
        }
      }
      assertThat(rank).as("rank of top %d", j).isLessThanOrEqualTo(j);
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(WAIT_S, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
