package io.adapterplatform.serving.batch;

/** A request did not finish within its timeout (queueing included). */
public final class GenerationTimeoutException extends RuntimeException {

  public GenerationTimeoutException(String message) {
    super(message);
  }
}
