package io.adapterplatform.registry.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * A streaming multipart/form-data reader (RFC 7578) that finds part delimiters with a
 * Boyer-Moore-Horspool search. commons-fileupload2 scans every body byte one at a time (KMP); on a
 * 256 MiB upload that was the registry's largest CPU cost (≈ 1 s of a 2-core machine, JFR).
 * Horspool skips up to the delimiter's length (≥ 6 bytes, usually 40+) per comparison on binary
 * data. Heap use is one fixed buffer.
 */
final class MultipartReader {

  static final int BUFFER_SIZE = 256 * 1024;
  private static final int MAX_HEADER_BYTES = 16 * 1024;

  /** A malformed body, or a part over its size limit ({@link #tooLarge}). */
  static final class MultipartException extends IOException {
    private final boolean tooLarge;

    MultipartException(String message, boolean tooLarge) {
      super(message);
      this.tooLarge = tooLarge;
    }

    boolean tooLarge() {
      return tooLarge;
    }
  }

  /** One part: its form field name, its file name (null for a plain field) and its body. */
  record Part(String fieldName, String fileName, InputStream body) {}

  private final InputStream in;

  /** CRLF "--" boundary: what ends every part body. */
  private final byte[] delimiter;

  private final int[] shift = new int[256];
  private final long partSizeMax;
  private final byte[] buf = new byte[BUFFER_SIZE];
  private int head;
  private int tail;
  private boolean eof;

  /** Bytes of the current part in buf[head, safeEnd) are known to precede any delimiter. */
  private int safeEnd;

  /** Whether a delimiter starts at safeEnd. */
  private boolean atDelimiter;

  private PartStream current;
  private boolean finished;

  MultipartReader(InputStream in, String boundary, long partSizeMax) throws MultipartException {
    if (boundary == null || boundary.isEmpty() || boundary.length() > 200) {
      throw new MultipartException("the request has no valid multipart boundary", false);
    }
    this.in = in;
    this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    this.partSizeMax = partSizeMax;
    Arrays.fill(shift, delimiter.length);
    for (int i = 0; i < delimiter.length - 1; i++) {
      shift[delimiter[i] & 0xFF] = delimiter.length - 1 - i;
    }
    // The first delimiter has no CRLF before it: pretend it had, so the preamble is just an ignored
    // part.
    buf[0] = '\r';
    buf[1] = '\n';
    tail = 2;
  }

  /** The boundary parameter of a multipart Content-Type, or null. */
  static String boundary(String contentType) {
    if (contentType == null) {
      return null;
    }
    for (String param : contentType.split(";")) {
      String p = param.trim();
      if (p.regionMatches(true, 0, "boundary=", 0, 9)) {
        String value = p.substring(9).trim();
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
          value = value.substring(1, value.length() - 1);
        }
        return value;
      }
    }
    return null;
  }

  /**
   * The next part (the previous one is read to its end first), or null after the closing delimiter.
   */
  Part next() throws IOException {
    if (finished) {
      return null;
    }
    if (current == null) {
      skipToDelimiter(); // the preamble
    } else {
      current.drain();
    }
    head += delimiter.length;
    require(2);
    if (buf[head] == '-' && buf[head + 1] == '-') {
      finished = true; // the epilogue is ignored
      return null;
    }
    // Linear whitespace may follow a boundary (RFC 2046 transport padding).
    while (buf[head] == ' ' || buf[head] == '\t') {
      head++;
      require(2);
    }
    if (buf[head] != '\r' || buf[head + 1] != '\n') {
      throw new MultipartException("a boundary is not followed by a line break", false);
    }
    head += 2;
    String fieldName = null;
    String fileName = null;
    int headerBytes = 0;
    while (true) {
      String line = readLine();
      headerBytes += line.length() + 2;
      if (headerBytes > MAX_HEADER_BYTES) {
        throw new MultipartException(
            "part headers are longer than " + MAX_HEADER_BYTES + " bytes", false);
      }
      if (line.isEmpty()) {
        break;
      }
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Content-Disposition")) {
        String value = line.substring(colon + 1);
        fieldName = param(value, "name");
        fileName = param(value, "filename");
      }
    }
    if (fieldName == null) {
      throw new MultipartException("a part has no Content-Disposition name", false);
    }
    safeEnd = head;
    atDelimiter = false;
    current = new PartStream();
    return new Part(fieldName, fileName, current);
  }

  private void skipToDelimiter() throws IOException {
    safeEnd = head;
    atDelimiter = false;
    while (true) {
      head = safeEnd;
      if (atDelimiter) {
        return;
      }
      if (!scan()) {
        throw new MultipartException("no multipart boundary found in the body", false);
      }
    }
  }

  /**
   * Finds how far the current part's bytes reach in the buffer, reading more when none is known
   * yet; false at the end of the input without a delimiter.
   */
  private boolean scan() throws IOException {
    while (true) {
      int found = search(head, tail);
      if (found >= 0) {
        safeEnd = found;
        atDelimiter = true;
        return true;
      }
      // Bytes that cannot begin a delimiter lying (partly) beyond tail are safe to hand out.
      int safe = Math.max(head, tail - (delimiter.length - 1));
      if (safe > head) {
        safeEnd = safe;
        return true;
      }
      if (!fill()) {
        return false;
      }
    }
  }

  /** Horspool search for the delimiter in buf[from, to); its index or -1. */
  private int search(int from, int to) {
    byte[] d = delimiter;
    int last = d.length - 1;
    byte lastByte = d[last];
    int i = from;
    while (i + last < to) {
      byte b = buf[i + last];
      if (b == lastByte) {
        int k = last - 1;
        while (k >= 0 && buf[i + k] == d[k]) {
          k--;
        }
        if (k < 0) {
          return i;
        }
      }
      i += shift[b & 0xFF];
    }
    return -1;
  }

  /** Moves the unread bytes to the front and reads more; false when the input has ended. */
  private boolean fill() throws IOException {
    if (eof) {
      return false;
    }
    if (head > 0) {
      System.arraycopy(buf, head, buf, 0, tail - head);
      safeEnd -= head;
      tail -= head;
      head = 0;
    }
    int n = in.read(buf, tail, buf.length - tail);
    if (n < 0) {
      eof = true;
      return false;
    }
    tail += n;
    return true;
  }

  private void require(int n) throws IOException {
    while (tail - head < n) {
      if (!fill()) {
        throw new MultipartException("the body ended inside a multipart boundary", false);
      }
    }
  }

  private String readLine() throws IOException {
    int checked = 0; // bytes after head already known to hold no CRLF start (fill() moves head)
    while (true) {
      for (int i = head + checked; i + 1 < tail; i++) {
        if (buf[i] == '\r' && buf[i + 1] == '\n') {
          String line = new String(buf, head, i - head, StandardCharsets.UTF_8);
          head = i + 2;
          return line;
        }
      }
      if (tail - head > MAX_HEADER_BYTES) {
        throw new MultipartException(
            "part headers are longer than " + MAX_HEADER_BYTES + " bytes", false);
      }
      checked = Math.max(0, tail - head - 1);
      if (!fill()) {
        throw new MultipartException("the body ended inside part headers", false);
      }
    }
  }

  /** A Content-Disposition parameter's value (quoted or not), or null. */
  static String param(String header, String name) {
    int i = 0;
    int n = header.length();
    while (i < n) {
      int semi = nextSemicolon(header, i);
      String part = header.substring(i, semi).trim();
      int eq = part.indexOf('=');
      if (eq > 0 && part.substring(0, eq).trim().toLowerCase(Locale.ROOT).equals(name)) {
        String value = part.substring(eq + 1).trim();
        if (value.length() >= 2
            && value.charAt(0) == '"'
            && value.charAt(value.length() - 1) == '"') {
          value = value.substring(1, value.length() - 1).replace("\\\"", "\"");
        }
        return value;
      }
      i = semi + 1;
    }
    return null;
  }

  private static int nextSemicolon(String s, int from) {
    boolean quoted = false;
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && quoted && i + 1 < s.length()) {
        i++;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == ';' && !quoted) {
        return i;
      }
    }
    return s.length();
  }

  /** The body of the current part: ends where the next delimiter begins. */
  private final class PartStream extends InputStream {
    private long count;

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (current != this) {
        return -1;
      }
      if (len == 0) {
        return 0;
      }
      if (head == safeEnd) {
        if (atDelimiter) {
          return -1;
        }
        if (!scan()) {
          throw new MultipartException("the body ended inside a part (no closing boundary)", false);
        }
        if (head == safeEnd) {
          return -1; // the delimiter follows at once
        }
      }
      int n = Math.min(len, safeEnd - head);
      count += n;
      if (count > partSizeMax) {
        throw new MultipartException(
            "a part is larger than the limit of " + partSizeMax + " bytes", true);
      }
      System.arraycopy(buf, head, b, off, n);
      head += n;
      return n;
    }

    @Override
    public int available() {
      return current == this ? safeEnd - head : 0;
    }

    void drain() throws IOException {
      while (true) {
        if (head == safeEnd) {
          if (atDelimiter) {
            return;
          }
          if (!scan()) {
            throw new MultipartException(
                "the body ended inside a part (no closing boundary)", false);
          }
          continue;
        }
        head = safeEnd; // skipped bytes of an unread part are not counted against its limit
      }
    }

    @Override
    public void close() {
      // Closing a part leaves the rest to next(), which skips it.
    }
  }
}
