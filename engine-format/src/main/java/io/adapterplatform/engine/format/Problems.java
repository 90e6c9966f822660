package io.adapterplatform.engine.format;

import java.util.ArrayList;
import java.util.List;

/** Collects every problem of a file so that one exception reports them all. */
final class Problems {

  /** A wholly wrong file would list thousands of missing tensors; the first ones say enough. */
  static final int MAX_LISTED = 25;

  private final String file;
  private final List<String> messages = new ArrayList<>();
  private int count;
  private FormatException.Reason reason;

  Problems(String file) {
    this.file = file;
  }

  void malformed(String message) {
    add(FormatException.Reason.MALFORMED, message);
  }

  void inconsistent(String message) {
    add(FormatException.Reason.INCONSISTENT, message);
  }

  void add(FormatException.Reason r, String message) {
    count++;
    if (messages.size() < MAX_LISTED) {
      messages.add(message);
    }
    // A malformed file is the more basic failure: report it as such even when other problems agree.
    if (reason == null || r.ordinal() < reason.ordinal()) {
      reason = r;
    }
  }

  boolean isEmpty() {
    return count == 0;
  }

  int size() {
    return count;
  }

  /** Throws if any problem was recorded. */
  void throwIfAny() {
    if (count == 0) {
      return;
    }
    List<String> listed = new ArrayList<>(messages);
    if (count > messages.size()) {
      listed.add("and " + (count - messages.size()) + " more problems");
    }
    throw new FormatException(reason, file, listed, count);
  }
}
