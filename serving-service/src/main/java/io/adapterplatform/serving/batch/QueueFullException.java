package io.adapterplatform.serving.batch;

import java.util.concurrent.RejectedExecutionException;

/**
 * The waiting queue is full: the request was not accepted (the HTTP layer answers 429). Nothing
 * already accepted is affected.
 */
public final class QueueFullException extends RejectedExecutionException {

  public QueueFullException(String message) {
    super(message);
  }
}
