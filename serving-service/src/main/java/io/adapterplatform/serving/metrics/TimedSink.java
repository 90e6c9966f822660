package io.adapterplatform.serving.metrics;

import io.adapterplatform.serving.batch.Finish;
import io.adapterplatform.serving.batch.GenerationSink;
import io.adapterplatform.serving.batch.TokenEvent;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * A choice's sink that times its generated tokens on the step thread, where they are produced (not
 * where the client reads them): the first from submission, each later one from the one before.
 */
final class TimedSink implements GenerationSink {

  private final GenerationSink delegate;
  private final long submitted;
  private final Clock clock;
  private final Timer firstToken;
  private final Timer outputToken;
  private final Runnable generated;
  private long last = -1;

  TimedSink(
      GenerationSink delegate,
      long submitted,
      Clock clock,
      Timer firstToken,
      Timer outputToken,
      Runnable generated) {
    this.delegate = delegate;
    this.submitted = submitted;
    this.clock = clock;
    this.firstToken = firstToken;
    this.outputToken = outputToken;
    this.generated = generated;
  }

  @Override
  public void onToken(TokenEvent token) {
    if (!token.prompt()) {
      long now = clock.monotonicTime();
      if (last < 0) {
        firstToken.record(now - submitted, TimeUnit.NANOSECONDS);
      } else {
        outputToken.record(now - last, TimeUnit.NANOSECONDS);
      }
      last = now;
      generated.run();
    }
    delegate.onToken(token);
  }

  @Override
  public void onFinish(Finish finish) {
    delegate.onFinish(finish);
  }

  @Override
  public void onError(Throwable error) {
    delegate.onError(error);
  }
}
