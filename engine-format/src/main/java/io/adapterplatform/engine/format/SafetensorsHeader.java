package io.adapterplatform.engine.format;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The header of a safetensors file: an 8-byte little-endian length, then that many bytes of UTF-8
 * JSON that map tensor names to {@code {dtype, shape, data_offsets}} plus an optional {@code
 * __metadata__} map of strings. Tensor data follows the header; offsets are relative to the end of
 * the header.
 *
 * <p>{@link #read(InputStream, String)} consumes exactly the header bytes from a stream, so that a
 * caller can stream the data section elsewhere and then call {@link #checkFileSize(long)} with the
 * total size. What is enforced (every problem is reported, not just the first): JSON is strict
 * UTF-8 JSON without duplicate keys, dtypes are F32/F16/BF16, shapes are non-negative integers,
 * data offsets are {@code [begin, end]} with {@code end - begin == elements × dtype size}, and the
 * tensors, ordered by offset, cover the data section from 0 contiguously: no gap, no overlap.
 */
public final class SafetensorsHeader {

  /**
   * Largest JSON header accepted by default (100 MiB, the bound the reference implementation uses).
   */
  public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

  /** Header lengths at or above this are not a big header but not a safetensors file at all. */
  private static final long IMPLAUSIBLE_HEADER_BYTES = 1L << 32;

  static final String METADATA_KEY = "__metadata__";

  private final String fileName;
  private final long headerLength;
  private final List<TensorInfo> tensors;
  private final Map<String, TensorInfo> byName;
  private final Map<String, String> metadata;
  private final long dataLength;

  SafetensorsHeader(
      String fileName,
      long headerLength,
      List<TensorInfo> tensorsByOffset,
      Map<String, String> metadata) {
    this.fileName = fileName;
    this.headerLength = headerLength;
    this.tensors = List.copyOf(tensorsByOffset);
    Map<String, TensorInfo> m = new LinkedHashMap<>();
    long end = 0;
    for (TensorInfo t : tensors) {
      m.put(t.name(), t);
      end = Math.max(end, t.end());
    }
    this.byName = Collections.unmodifiableMap(m);
    this.metadata = Collections.unmodifiableMap(new TreeMap<>(metadata));
    this.dataLength = end;
  }

  /**
   * Reads and validates the header from the start of {@code in}, bounded by {@link
   * #MAX_HEADER_BYTES}.
   */
  public static SafetensorsHeader read(InputStream in, String fileName) {
    return read(in, fileName, MAX_HEADER_BYTES);
  }

  /**
   * Reads and validates the header from the start of {@code in}, consuming exactly {@code 8 + json
   * length} bytes.
   *
   * @param maxHeaderBytes the largest JSON length accepted; a larger one is {@code TOO_LARGE}
   * @throws FormatException if the header is malformed, too large or inconsistent
   * @throws UncheckedIOException if the stream fails
   */
  public static SafetensorsHeader read(InputStream in, String fileName, long maxHeaderBytes) {
    try {
      byte[] prefix = in.readNBytes(8);
      if (prefix.length < 8) {
        throw malformed(
            fileName,
            "file is " + prefix.length + " bytes long, too short for the 8-byte header length");
      }
      long n = 0;
      for (int i = 7; i >= 0; i--) {
        n = (n << 8) | (prefix[i] & 0xFF);
      }
      if (n < 0 || n >= IMPLAUSIBLE_HEADER_BYTES) {
        throw malformed(
            fileName,
            "not a safetensors file: the first 8 bytes give an implausible header length "
                + Long.toUnsignedString(n));
      }
      // One array holds the JSON: no bound may exceed what an array can hold.
      long bound = Math.min(maxHeaderBytes, Integer.MAX_VALUE - 16);
      if (n > bound) {
        throw new FormatException(
            FormatException.Reason.TOO_LARGE,
            fileName,
            "header declares " + n + " bytes of JSON, more than the limit of " + bound);
      }
      if (n < 2) {
        throw malformed(
            fileName, "header declares " + n + " bytes of JSON, too short for a JSON object");
      }
      CountingInput counted = new CountingInput(in, n);
      try {
        return parse(counted, n, fileName);
      } catch (FormatException e) {
        // A JSON error caused by the stream ending early is reported as what it is: read on to the
        // declared end (bounded by n) to tell a truncated header from a malformed one.
        counted.drain();
        if (counted.endedEarly()) {
          throw malformed(
              fileName,
              "header declares "
                  + n
                  + " bytes of JSON but the file ends after "
                  + counted.count()
                  + " of them");
        }
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("reading the safetensors header of " + fileName, e);
    }
  }

  private static FormatException malformed(String file, String problem) {
    return new FormatException(FormatException.Reason.MALFORMED, file, problem);
  }

  /** Validates the JSON of a header held in memory (without the 8-byte length prefix). */
  static SafetensorsHeader parse(byte[] json, String fileName) {
    try {
      return parse(
          new CountingInput(new ByteArrayInputStream(json), json.length), json.length, fileName);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // an array does not fail
    }
  }

  /**
   * Parses the JSON as a stream, so that memory grows with the number of tensors and not with the
   * header's bytes, and never reads past the {@code n} bytes of the header.
   */
  private static SafetensorsHeader parse(CountingInput json, long n, String fileName)
      throws IOException {
    int first = json.read();
    if (first != '{') {
      if (first < 0 && json.endedEarly()) {
        throw malformed(
            fileName, "header declares " + n + " bytes of JSON but the file ends after 0 of them");
      }
      throw malformed(fileName, "header does not start with '{': not a safetensors file");
    }
    Problems problems = new Problems(fileName);
    Map<String, String> metadata = new TreeMap<>();
    List<TensorInfo> tensors = new ArrayList<>();
    List<Range> ranges = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    Reader text =
        new InputStreamReader(
            new SequenceInputStream(new ByteArrayInputStream(new byte[] {'{'}), json),
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT));
    JsonReader r = new JsonReader(text);
    r.setStrictness(Strictness.STRICT);
    try {
      r.beginObject();
      while (r.hasNext()) {
        String name = r.nextName();
        if (!seen.add(name)) {
          throw malformed(fileName, "duplicate JSON key '" + name + "'");
        }
        if (name.equals(METADATA_KEY)) {
          readMetadata(r, metadata, problems);
        } else {
          readTensor(name, r, problems, ranges).ifPresent(tensors::add);
        }
      }
      r.endObject();
      if (r.peek() != JsonToken.END_DOCUMENT) {
        throw malformed(fileName, "unexpected content after the JSON object");
      }
    } catch (CharacterCodingException e) {
      throw malformed(fileName, "JSON is not valid UTF-8");
    } catch (IOException | IllegalStateException | NumberFormatException e) {
      if (json.failure() != null) {
        throw json.failure(); // the underlying stream failed: not the file's fault
      }
      throw malformed(fileName, "invalid JSON" + Json.clean(e.getMessage()));
    }
    if (json.count() != n) {
      throw malformed(
          fileName,
          "header declares "
              + n
              + " bytes of JSON but the file ends after "
              + json.count()
              + " of them");
    }
    tensors.sort(
        Comparator.comparingLong(TensorInfo::begin)
            .thenComparingLong(TensorInfo::end)
            .thenComparing(TensorInfo::name));
    ranges.sort(
        Comparator.comparingLong(Range::begin)
            .thenComparingLong(Range::end)
            .thenComparing(Range::name));
    checkContiguous(ranges, problems);
    problems.throwIfAny();
    return new SafetensorsHeader(fileName, 8 + n, tensors, metadata);
  }

  private static void readMetadata(JsonReader r, Map<String, String> out, Problems problems)
      throws IOException {
    if (r.peek() == JsonToken.NULL) {
      r.nextNull();
      return;
    }
    if (r.peek() != JsonToken.BEGIN_OBJECT) {
      problems.malformed("__metadata__ must be an object of strings");
      r.skipValue();
      return;
    }
    r.beginObject();
    while (r.hasNext()) {
      String key = r.nextName();
      if (r.peek() != JsonToken.STRING) {
        problems.malformed("__metadata__ value of '" + key + "' is not a string");
        r.skipValue();
      } else if (out.put(key, r.nextString()) != null) {
        problems.malformed("duplicate JSON key '__metadata__." + key + "'");
      }
    }
    r.endObject();
  }

  /** The byte range of an entry, known even when its dtype or shape is not acceptable. */
  private record Range(String name, long begin, long end) {}

  /**
   * Real tensors have a handful of dimensions; the bound keeps a hostile shape from filling the
   * heap.
   */
  static final int MAX_RANK = 64;

  private static Optional<TensorInfo> readTensor(
      String name, JsonReader r, Problems problems, List<Range> ranges) throws IOException {
    if (name.isEmpty()) {
      problems.malformed("a tensor has an empty name");
      r.skipValue();
      return Optional.empty();
    }
    if (r.peek() != JsonToken.BEGIN_OBJECT) {
      problems.malformed("entry of tensor '" + name + "' is not an object");
      r.skipValue();
      return Optional.empty();
    }
    String dtypeName = null;
    long[] shape = null;
    long[] offsets = null;
    boolean shapeSeen = false;
    boolean offsetsSeen = false;
    Set<String> fields = new HashSet<>();
    r.beginObject();
    while (r.hasNext()) {
      String key = r.nextName();
      if (!fields.add(key)) {
        problems.malformed("tensor '" + name + "' has field '" + key + "' twice");
        r.skipValue();
        continue;
      }
      switch (key) {
        case "dtype" -> {
          if (r.peek() == JsonToken.STRING) {
            dtypeName = r.nextString();
          } else {
            r.skipValue();
          }
        }
        case "shape" -> {
          shapeSeen = true;
          shape = naturals(r, MAX_RANK);
        }
        case "data_offsets" -> {
          offsetsSeen = true;
          offsets = naturals(r, 2);
          if (offsets != null && offsets.length != 2) {
            offsets = null;
          }
        }
        default -> {
          problems.malformed("tensor '" + name + "' has an unknown field '" + key + "'");
          r.skipValue();
        }
      }
    }
    r.endObject();
    DType dtype = null;
    if (dtypeName == null) {
      problems.malformed("tensor '" + name + "' has no string dtype");
    } else {
      dtype = DType.fromSafetensorsName(dtypeName).orElse(null);
      if (dtype == null && DType.SAFETENSORS_NAMES.contains(dtypeName)) {
        problems.inconsistent(
            "tensor '"
                + name
                + "' has dtype "
                + dtypeName
                + ", which is not supported (only F32, F16 and BF16)");
      } else if (dtype == null) {
        problems.malformed("tensor '" + name + "' has unknown dtype '" + dtypeName + "'");
      }
    }
    if (shape == null) {
      problems.malformed(
          "tensor '"
              + name
              + "' shape must be an array of at most "
              + MAX_RANK
              + " non-negative integers"
              + (shapeSeen ? "" : " (missing)"));
    }
    if (offsets == null) {
      problems.malformed(
          "tensor '"
              + name
              + "' data_offsets must be two non-negative integers [begin, end]"
              + (offsetsSeen ? "" : " (missing)"));
    } else if (offsets[1] < offsets[0]) {
      problems.malformed(
          "tensor '"
              + name
              + "' data_offsets ["
              + offsets[0]
              + ", "
              + offsets[1]
              + "] end before they begin");
      offsets = null;
    }
    if (offsets != null) {
      // An entry with usable offsets takes part in the contiguity check even if it is rejected
      // otherwise, so that one bad dtype does not also show up as a gap.
      ranges.add(new Range(name, offsets[0], offsets[1]));
    }
    if (dtype == null || shape == null || offsets == null) {
      return Optional.empty();
    }
    long expected;
    try {
      expected = Math.multiplyExact(TensorInfo.elementCount(shape), dtype.byteSize());
    } catch (ArithmeticException overflow) {
      problems.malformed("tensor '" + name + "' shape " + Arrays.toString(shape) + " overflows");
      return Optional.empty();
    }
    TensorInfo t = new TensorInfo(name, dtype, shape, offsets[0], offsets[1]);
    if (t.byteLength() != expected) {
      problems.malformed(
          "tensor '"
              + name
              + "' is "
              + dtype
              + " "
              + t.shapeString()
              + " = "
              + expected
              + " bytes but its data_offsets ["
              + offsets[0]
              + ", "
              + offsets[1]
              + "] span "
              + t.byteLength());
    }
    // Kept for the contiguity check even when its size is wrong: the report is then complete.
    return Optional.of(t);
  }

  private static final Pattern PLAIN_INTEGER = Pattern.compile("0|[1-9][0-9]{0,18}");

  /**
   * An array of at most {@code max} plain non-negative integers ("2.0", "2e3", "-0" are refused:
   * the format writes plain integers), or null after skipping the rest of the value.
   */
  private static long[] naturals(JsonReader r, int max) throws IOException {
    if (r.peek() != JsonToken.BEGIN_ARRAY) {
      r.skipValue();
      return null;
    }
    long[] out = new long[4];
    int size = 0;
    boolean ok = true;
    r.beginArray();
    while (r.hasNext()) {
      if (!ok || size == max || r.peek() != JsonToken.NUMBER) {
        ok = false;
        r.skipValue();
        continue;
      }
      String digits = r.nextString();
      if (!PLAIN_INTEGER.matcher(digits).matches()) {
        ok = false;
        continue;
      }
      try {
        if (size == out.length) {
          out = Arrays.copyOf(out, size * 2);
        }
        out[size++] = Long.parseLong(digits);
      } catch (NumberFormatException tooLarge) {
        ok = false;
      }
    }
    r.endArray();
    return ok ? Arrays.copyOf(out, size) : null;
  }

  /**
   * Counts what is read, never reads past {@code limit} bytes, remembers whether the underlying
   * stream ended before the limit and any failure of the underlying stream (so it is not mistaken
   * for bad JSON).
   */
  private static final class CountingInput extends InputStream {
    private final InputStream in;
    private final long limit;
    private long count;
    private boolean endedEarly;
    private IOException failure;

    CountingInput(InputStream in, long limit) {
      this.in = in;
      this.limit = limit;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (count >= limit) {
        return -1;
      }
      int n;
      try {
        n = in.read(b, off, (int) Math.min(len, limit - count));
      } catch (IOException e) {
        failure = e;
        throw e;
      }
      if (n < 0) {
        endedEarly = true;
        return -1;
      }
      count += n;
      return n;
    }

    long count() {
      return count;
    }

    void drain() throws IOException {
      byte[] buffer = new byte[8192];
      while (read(buffer, 0, buffer.length) >= 0) {
        // discard
      }
    }

    boolean endedEarly() {
      return endedEarly;
    }

    IOException failure() {
      return failure;
    }
  }

  private static void checkContiguous(List<Range> byOffset, Problems problems) {
    long expected = 0;
    Range previous = null;
    for (Range t : byOffset) {
      if (t.begin() > expected) {
        problems.malformed(
            "gap in the data section: bytes ["
                + expected
                + ", "
                + t.begin()
                + ") "
                + (previous == null
                    ? "before the first tensor '"
                    : "between tensor '" + previous.name() + "' and '")
                + t.name()
                + "' belong to no tensor");
      } else if (t.begin() < expected) {
        problems.malformed(
            "tensor '"
                + t.name()
                + "' starts at "
                + t.begin()
                + ", inside tensor '"
                + previous.name()
                + "' which ends at "
                + expected
                + " (overlap)");
      }
      if (t.end() >= expected) {
        expected = t.end();
        previous = t;
      }
    }
  }

  /**
   * Checks that a file holding this header has exactly the size the header implies.
   *
   * @throws FormatException MALFORMED when the file is shorter (a tensor runs past its end) or
   *     longer
   */
  public void checkFileSize(long actualSize) {
    long expected = expectedFileSize();
    if (actualSize == expected) {
      return;
    }
    if (actualSize < headerLength) {
      throw malformed(
          fileName,
          "file is "
              + actualSize
              + " bytes, shorter than its own header ("
              + headerLength
              + " bytes)");
    }
    long data = actualSize - headerLength;
    if (actualSize < expected) {
      TensorInfo last = tensors.getLast();
      for (TensorInfo t : tensors) {
        if (t.end() > data) {
          last = t;
          break;
        }
      }
      throw malformed(
          fileName,
          "tensor '"
              + last.name()
              + "' ends at "
              + last.end()
              + " but the data section is "
              + data
              + " bytes (file is "
              + actualSize
              + " bytes, expected "
              + expected
              + ")");
    }
    throw malformed(
        fileName,
        "file is "
            + actualSize
            + " bytes but its header and tensors account for "
            + expected
            + ": "
            + (actualSize - expected)
            + " trailing bytes belong to no tensor");
  }

  /** The file name given when reading, used in every message. */
  public String fileName() {
    return fileName;
  }

  /** Tensors ordered by their offset in the data section. */
  public List<TensorInfo> tensors() {
    return tensors;
  }

  /** Tensor names, in offset order. */
  public List<String> names() {
    return List.copyOf(byName.keySet());
  }

  /** The tensor of that name, if present. */
  public Optional<TensorInfo> tensor(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /** The tensor of that name; INCONSISTENT {@link FormatException} if absent. */
  public TensorInfo require(String name) {
    TensorInfo t = byName.get(name);
    if (t == null) {
      throw new FormatException(
          FormatException.Reason.INCONSISTENT, fileName, "has no tensor '" + name + "'");
    }
    return t;
  }

  /** Whether a tensor of that name is present. */
  public boolean contains(String name) {
    return byName.containsKey(name);
  }

  /** The {@code __metadata__} map (empty if absent), sorted by key. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** 8 + the JSON length: the offset of the data section in the file. */
  public long headerLength() {
    return headerLength;
  }

  /** Bytes of tensor data: the end of the last tensor. */
  public long dataLength() {
    return dataLength;
  }

  /** {@link #headerLength()} + {@link #dataLength()}. */
  public long expectedFileSize() {
    return headerLength + dataLength;
  }

  @Override
  public String toString() {
    return fileName + " (" + tensors.size() + " tensors, " + expectedFileSize() + " bytes)";
  }
}
