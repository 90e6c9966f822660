package io.adapterplatform.training.dataset;

import io.adapterplatform.web.problem.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Copies an uploaded JSONL file to a temporary file while checking every line and hashing the
 * bytes, so that neither the file nor a line beyond its limit is ever held in memory. A line is a
 * JSON object of exactly {@code {"prompt", "completion"}} or {@code {"text"}}, all strings, in
 * strict UTF-8; blank lines are skipped. Size limits stop the copy at once (413); bad lines are
 * counted to the end, and the first {@link #REPORTED_LINES} of them are reported.
 */
final class JsonlSpool {

  static final int REPORTED_LINES = 10;
  private static final Set<String> PROMPT_COMPLETION = Set.of("prompt", "completion");
  private static final Set<String> TEXT = Set.of("text");

  record BadLine(long line, String reason) {}

  /** What a copy found: where it lies, its digest and size, its records and bad lines. */
  record Result(
      Path file, String sha256, long size, long records, long badLines, List<BadLine> firstBad) {}

  private final JsonMapper json;
  private final long maxFileSize;
  private final int maxLineSize;

  JsonlSpool(JsonMapper json, long maxFileSize, int maxLineSize) {
    this.json = json;
    this.maxFileSize = maxFileSize;
    this.maxLineSize = maxLineSize;
  }

  /** Copies {@code in} to a new temporary file; the caller deletes it. */
  Result copy(InputStream in) {
    Path file;
    try {
      file = Files.createTempFile("dataset-", ".jsonl");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try (OutputStream out = new DigestOutputStream(Files.newOutputStream(file), sha256())) {
      var state = new State();
      byte[] chunk = new byte[64 * 1024];
      byte[] line = new byte[Math.min(maxLineSize, 64 * 1024) + 1];
      int lineLength = 0;
      long size = 0;
      for (int n = in.read(chunk); n >= 0; n = in.read(chunk)) {
        size += n;
        if (size > maxFileSize) {
          throw tooLarge("file", "a dataset file has at most " + maxFileSize + " bytes");
        }
        out.write(chunk, 0, n);
        for (int i = 0; i < n; i++) {
          byte b = chunk[i];
          if (b == '\n') {
            state.line(line, lineLength);
            lineLength = 0;
            continue;
          }
          if (lineLength == maxLineSize) {
            throw tooLarge(
                "file",
                "line " + (state.lineNumber + 1) + " is longer than " + maxLineSize + " bytes");
          }
          if (lineLength == line.length) {
            line = java.util.Arrays.copyOf(line, Math.min(maxLineSize + 1, line.length * 2));
          }
          line[lineLength++] = b;
        }
      }
      if (lineLength > 0) {
        state.line(line, lineLength);
      }
      out.flush();
      String sha256 =
          HexFormat.of().formatHex(((DigestOutputStream) out).getMessageDigest().digest());
      return new Result(file, sha256, size, state.records, state.bad, List.copyOf(state.firstBad));
    } catch (IOException e) {
      delete(file);
      throw ApiException.badRequest("malformed-multipart", "the upload ended early: " + e);
    } catch (RuntimeException e) {
      delete(file);
      throw e;
    }
  }

  static void delete(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // A temporary file left behind is removed with the temporary directory.
    }
  }

  private static ApiException tooLarge(String field, String message) {
    return ApiException.tooLarge(message, List.of(new ApiException.FieldError(field, message)));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private final class State {
    long lineNumber;
    long records;
    long bad;
    final List<BadLine> firstBad = new ArrayList<>();

    void line(byte[] bytes, int length) {
      lineNumber++;
      int end = length;
      if (end > 0 && bytes[end - 1] == '\r') {
        end--;
      }
      String reason = check(bytes, end);
      if (reason == null) {
        return;
      }
      if (reason.isEmpty()) {
        return; // blank
      }
      bad++;
      if (firstBad.size() < REPORTED_LINES) {
        firstBad.add(new BadLine(lineNumber, reason));
      }
    }

    /** Null for a record, "" for a blank line, else why the line is not a record. */
    private String check(byte[] bytes, int length) {
      String text;
      try {
        text =
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes, 0, length))
                .toString();
      } catch (CharacterCodingException e) {
        return "is not UTF-8";
      }
      if (text.isBlank()) {
        return "";
      }
      JsonNode node;
      try {
        node = json.readTree(text);
      } catch (JacksonException e) {
        return "is not JSON";
      }
      if (node == null || !node.isObject()) {
        return "is not a JSON object";
      }
      var names = new java.util.HashSet<String>(node.propertyNames());
      if (!names.equals(PROMPT_COMPLETION) && !names.equals(TEXT)) {
        return "must have exactly \"prompt\" and \"completion\", or \"text\"";
      }
      for (String name : names) {
        if (!node.get(name).isString()) {
          return "\"" + name + "\" must be a string";
        }
      }
      records++;
      return null;
    }
  }
}
