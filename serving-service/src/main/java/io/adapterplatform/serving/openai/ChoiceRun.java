package io.adapterplatform.serving.openai;

import io.adapterplatform.serving.batch.Finish;
import io.adapterplatform.serving.batch.GenerationHandle;
import io.adapterplatform.serving.batch.GenerationSink;
import io.adapterplatform.serving.batch.GenerationTimeoutException;
import io.adapterplatform.serving.batch.TokenEvent;
import io.adapterplatform.serving.batch.TopLogprob;
import io.adapterplatform.serving.engine.ServedModel;
import io.adapterplatform.web.problem.ApiException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import org.springframework.http.HttpStatus;

/**
 * One choice of a completion: the batcher's sink (which only queues, as a sink must), and the
 * request thread's side that turns tokens into text, applies the stop strings (cancelling the
 * generation at the first one) and builds the legacy log-probabilities.
 */
final class ChoiceRun implements GenerationSink {

  /** What one call of {@link #drain} adds to the choice; {@code finishReason} set on the last. */
  record Delta(
      String text,
      List<Integer> tokenIds,
      CompletionResponse.Logprobs logprobs,
      String finishReason) {}

  private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
  private final ServedModel model;
  final int index;
  final int[] prompt;
  private final List<String> stops;
  private final boolean withLogprobs;
  private final boolean echo;
  private GenerationHandle handle;

  private final List<Integer> generated = new ArrayList<>();
  private int sentChars;
  private int textOffset;
  private boolean echoSent;

  ChoiceRun(
      ServedModel model,
      int index,
      int[] prompt,
      List<String> stops,
      boolean withLogprobs,
      boolean echo) {
    this.model = model;
    this.index = index;
    this.prompt = prompt;
    this.stops = stops;
    this.withLogprobs = withLogprobs;
    this.echo = echo;
  }

  void started(GenerationHandle handle) {
    this.handle = handle;
  }

  void cancel() {
    if (handle != null) {
      handle.cancel();
    }
  }

  int completionTokens() {
    return generated.size();
  }

  @Override
  public void onToken(TokenEvent token) {
    events.add(token);
  }

  @Override
  public void onFinish(Finish finish) {
    events.add(finish);
  }

  @Override
  public void onError(Throwable error) {
    events.add(error);
  }

  /**
   * Waits for the next events and hands what they add to {@code out}, until the choice ends.
   *
   * @throws ApiException 504 when the generation timed out
   */
  void drain(Consumer<Delta> out) throws InterruptedException {
    while (true) {
      Object event = events.take();
      List<TokenEvent> tokens = new ArrayList<>();
      while (event instanceof TokenEvent t) {
        tokens.add(t);
        Object more = events.poll();
        if (more == null) {
          break;
        }
        event = more;
      }
      String finish = null;
      if (event instanceof Finish f) {
        finish = f.reason().wireName();
      } else if (event instanceof Throwable t) {
        throw failure(t);
      }
      Delta d = step(tokens, finish);
      if (d != null) {
        out.accept(d);
        if (d.finishReason() != null) {
          return;
        }
      }
    }
  }

  private Delta step(List<TokenEvent> tokens, String finish) {
    StringBuilder text = new StringBuilder();
    List<Integer> ids = new ArrayList<>();
    List<String> strings = new ArrayList<>();
    List<Double> logprobs = new ArrayList<>();
    List<Map<String, Double>> tops = new ArrayList<>();
    List<Integer> offsets = new ArrayList<>();
    if (echo && !echoSent) {
      echoSent = true;
      text.append(decode(prompt));
    }
    String stopReason = null;
    for (TokenEvent t : tokens) {
      if (!t.prompt()) {
        generated.add(t.tokenId());
        ids.add(t.tokenId());
      }
      if (withLogprobs) {
        String s = decode(new int[] {t.tokenId()});
        strings.add(s);
        offsets.add(textOffset);
        textOffset += s.length();
        if (t.logprobs() == null) {
          logprobs.add(null);
          tops.add(null);
        } else {
          logprobs.add(t.logprobs().logprob());
          Map<String, Double> top = new LinkedHashMap<>();
          for (TopLogprob p : t.logprobs().top()) {
            top.putIfAbsent(decode(new int[] {p.tokenId()}), p.logprob());
          }
          tops.add(top);
        }
      }
      if (!t.prompt() && !stops.isEmpty()) {
        String full = decode(generated);
        int cut = firstStop(full);
        if (cut >= 0) {
          text.append(full, Math.min(sentChars, cut), cut);
          sentChars = cut;
          stopReason = "stop";
          cancel(); // the rest is not wanted: its row and KV slot go to others at the next step
          break;
        }
      }
    }
    if (stopReason == null) {
      String full = decode(generated);
      int safe = full.length();
      if (finish == null) {
        // keep back what could still become a stop string, or is half of a UTF-8 character
        int longest = stops.stream().mapToInt(String::length).max().orElse(1);
        safe = Math.max(sentChars, full.length() - (longest - 1));
        if (safe > sentChars && full.charAt(safe - 1) == '\uFFFD') {
          safe--;
        }
      }
      if (safe > sentChars) {
        text.append(full, sentChars, safe);
        sentChars = safe;
      }
    }
    String reason = stopReason != null ? stopReason : finish;
    if (text.isEmpty() && ids.isEmpty() && strings.isEmpty() && reason == null) {
      return null;
    }
    return new Delta(
        text.toString(),
        ids,
        withLogprobs ? new CompletionResponse.Logprobs(strings, logprobs, tops, offsets) : null,
        reason);
  }

  private int firstStop(String text) {
    int first = -1;
    for (String s : stops) {
      int at = text.indexOf(s);
      if (at >= 0 && (first < 0 || at < first)) {
        first = at;
      }
    }
    return first;
  }

  private String decode(List<Integer> ids) {
    return decode(ids.stream().mapToInt(Integer::intValue).toArray());
  }

  // special tokens (an end-of-sequence) are left out of the text, as OpenAI-compatible servers do
  private String decode(int[] ids) {
    if (model.tokenizer().isEmpty() || ids.length == 0) {
      return "";
    }
    long[] longs = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      longs[i] = ids[i];
    }
    return model.tokenizer().get().decode(longs, true);
  }

  private static RuntimeException failure(Throwable t) {
    if (t instanceof GenerationTimeoutException) {
      return new ApiException(
          HttpStatus.GATEWAY_TIMEOUT,
          "generation-timeout",
          "Gateway timeout",
          "the completion did not finish in time (platform.serving.engine.timeout)",
          List.of());
    }
    if (t instanceof CancellationException c) {
      return c;
    }
    return t instanceof RuntimeException r ? r : new IllegalStateException(t);
  }
}
