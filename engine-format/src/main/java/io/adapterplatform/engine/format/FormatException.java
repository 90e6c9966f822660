package io.adapterplatform.engine.format;

import java.util.List;

/**
 * A file does not follow one of the formats this package reads (safetensors, HF {@code
 * config.json}, PEFT {@code adapter_config.json}, the PEFT and MixLoRA weight layouts).
 *
 * <p>The message always starts with the file name and says what is wrong, e.g. {@code
 * adapter_model.safetensors: tensor 'x' ends at 1200 but the data section is 1000 bytes}. When
 * several problems were found at once, {@link #problems()} lists each of them (without the file
 * name) and the message joins them. {@link #reason()} is a coarse class a service maps to a status
 * code.
 */
public final class FormatException extends RuntimeException {

  /** Coarse class of the problem; an HTTP service maps it to a status code. */
  public enum Reason {
    /** The bytes are not a well-formed file of the expected format (HTTP 400). */
    MALFORMED(400),
    /** The file exceeds a size bound this package enforces (HTTP 413). */
    TOO_LARGE(413),
    /**
     * Well formed, but disagrees with itself, its config, the base model, or what we support (HTTP
     * 422).
     */
    INCONSISTENT(422);

    private final int httpStatus;

    Reason(int httpStatus) {
      this.httpStatus = httpStatus;
    }

    /** The HTTP status a service answers with for this reason. */
    public int httpStatus() {
      return httpStatus;
    }
  }

  private final String file;
  private final Reason reason;
  private final List<String> problems;

  /** One problem in one file. */
  public FormatException(Reason reason, String file, String problem) {
    this(reason, file, List.of(problem));
  }

  /** Several problems in one file; the list must not be empty. */
  public FormatException(Reason reason, String file, List<String> problems) {
    this(reason, file, problems, problems.size());
  }

  /** Several problems of which only the first are listed ({@code total} counts them all). */
  FormatException(Reason reason, String file, List<String> problems, int total) {
    super(message(file, problems, total));
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a FormatException needs at least one problem");
    }
    this.file = file;
    this.reason = reason;
    this.problems = List.copyOf(problems);
  }

  private static String message(String file, List<String> problems, int total) {
    if (problems.size() == 1) {
      return file + ": " + problems.getFirst();
    }
    return file + ": " + total + " problems: " + String.join("; ", problems);
  }

  /** The name of the file the problems were found in, as the caller named it. */
  public String file() {
    return file;
  }

  /** The coarse class of the problems (the most severe when several were found). */
  public Reason reason() {
    return reason;
  }

  /** Every problem found, each a sentence without the file name. */
  public List<String> problems() {
    return problems;
  }
}
