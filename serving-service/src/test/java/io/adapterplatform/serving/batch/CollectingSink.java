package io.adapterplatform.serving.batch;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * Keeps what a request sent; {@code onGenerated} runs on the step thread at every generated token
 * (its 1-based count), which lets a test act at a precise step without sleeping.
 */
final class CollectingSink implements GenerationSink {

  final List<TokenEvent> events = new CopyOnWriteArrayList<>();
  volatile Finish finish;
  volatile Throwable error;
  private final BiConsumer<Integer, TokenEvent> onGenerated;
  private final List<String> log;
  private final String name;
  private int generated;

  CollectingSink() {
    this((n, e) -> {});
  }

  CollectingSink(BiConsumer<Integer, TokenEvent> onGenerated) {
    this(onGenerated, new CopyOnWriteArrayList<>(), "");
  }

  private CollectingSink(
      BiConsumer<Integer, TokenEvent> onGenerated, List<String> log, String name) {
    this.onGenerated = onGenerated;
    this.log = log;
    this.name = name;
  }

  /** Also writes "name token" and "name finished" into {@code log}, shared by several requests. */
  static CollectingSink logging(List<String> log, String name) {
    return new CollectingSink((n, e) -> {}, log, name);
  }

  @Override
  public void onToken(TokenEvent token) {
    events.add(token);
    log.add(name + " token");
    if (!token.prompt()) {
      onGenerated.accept(++generated, token);
    }
  }

  @Override
  public void onFinish(Finish f) {
    finish = f;
    log.add(name + " finished");
  }

  @Override
  public void onError(Throwable e) {
    error = e;
    log.add(name + " failed");
  }

  List<Integer> generatedTokens() {
    List<Integer> out = new ArrayList<>();
    for (TokenEvent e : events) {
      if (!e.prompt()) {
        out.add(e.tokenId());
      }
    }
    return out;
  }

  List<TokenEvent> promptEvents() {
    return events.stream().filter(TokenEvent::prompt).toList();
  }

  List<TokenEvent> generatedEvents() {
    return events.stream().filter(e -> !e.prompt()).toList();
  }
}
