package io.adapterplatform.engine.cli;

/** The command line itself is wrong (unknown command or option, missing value). */
final class UsageException extends IllegalArgumentException {

  UsageException(String message) {
    super(message);
  }
}
