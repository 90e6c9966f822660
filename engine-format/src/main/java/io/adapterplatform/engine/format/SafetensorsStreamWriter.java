package io.adapterplatform.engine.format;

import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes a safetensors file to a stream tensor by tensor, holding only one tensor at a time: the
 * header (all names, dtypes and shapes) is written first, then the caller supplies each tensor's
 * bytes in {@link #order()} (tensors sorted by name, which makes the output deterministic).
 *
 * <p>The JSON header has {@code __metadata__} first (keys sorted), then the tensors by name, and is
 * padded with spaces so that the data section starts at a multiple of 8 bytes, as the reference
 * implementation does.
 */
public final class SafetensorsStreamWriter {

  private final OutputStream out;
  private final SafetensorsHeader header;
  private int next;

  private SafetensorsStreamWriter(OutputStream out, SafetensorsHeader header) {
    this.out = out;
    this.header = header;
  }

  /**
   * Writes the header of a file holding {@code specs} and returns a writer that expects their
   * bytes.
   */
  public static SafetensorsStreamWriter begin(
      OutputStream out, List<TensorSpec> specs, Map<String, String> metadata) {
    byte[] headerBytes = headerBytes(specs, metadata);
    SafetensorsHeader header =
        SafetensorsHeader.parse(
            Arrays.copyOfRange(headerBytes, 8, headerBytes.length), "(written)");
    try {
      out.write(headerBytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new SafetensorsStreamWriter(out, header);
  }

  /** The header a file of these tensors has, including offsets, without writing anything. */
  public static SafetensorsHeader layout(
      List<TensorSpec> specs, Map<String, String> metadata, String fileName) {
    byte[] headerBytes = headerBytes(specs, metadata);
    return SafetensorsHeader.parse(
        Arrays.copyOfRange(headerBytes, 8, headerBytes.length), fileName);
  }

  /** The 8-byte length followed by the padded JSON header. */
  static byte[] headerBytes(List<TensorSpec> specs, Map<String, String> metadata) {
    List<TensorSpec> sorted = new ArrayList<>(specs);
    sorted.sort(Comparator.comparing(TensorSpec::name));
    Set<String> seen = new HashSet<>();
    StringWriter json = new StringWriter();
    try (JsonWriter w = new JsonWriter(json)) {
      w.setHtmlSafe(false);
      w.beginObject();
      if (!metadata.isEmpty()) {
        w.name(SafetensorsHeader.METADATA_KEY).beginObject();
        for (Map.Entry<String, String> m : new TreeMap<>(metadata).entrySet()) {
          w.name(m.getKey()).value(m.getValue());
        }
        w.endObject();
      }
      long offset = 0;
      for (TensorSpec s : sorted) {
        if (!seen.add(s.name())) {
          throw new IllegalArgumentException("tensor '" + s.name() + "' is given twice");
        }
        long end = offset + s.byteLength();
        w.name(s.name()).beginObject();
        w.name("dtype").value(s.dtype().safetensorsName());
        w.name("shape").beginArray();
        for (long d : s.shape()) {
          w.value(d);
        }
        w.endArray();
        w.name("data_offsets").beginArray().value(offset).value(end).endArray();
        w.endObject();
        offset = end;
      }
      w.endObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    byte[] jsonBytes = json.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (jsonBytes.length + 7) / 8 * 8;
    ByteBuffer b = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(padded);
    b.put(jsonBytes);
    while (b.hasRemaining()) {
      b.put((byte) ' ');
    }
    return b.array();
  }

  /** The header written (the file name in its messages is "(written)"). */
  public SafetensorsHeader header() {
    return header;
  }

  /** The order in which the tensors' bytes must be supplied. */
  public List<TensorInfo> order() {
    return header.tensors();
  }

  /** The tensor whose bytes are expected next, or null when all were written. */
  public TensorInfo expected() {
    return next < header.tensors().size() ? header.tensors().get(next) : null;
  }

  /** Writes the next tensor's raw little-endian bytes. */
  public void write(String name, byte[] raw) {
    write(name, ByteBuffer.wrap(raw));
  }

  /** Writes the next tensor's raw little-endian bytes (from the buffer's position to its limit). */
  public void write(String name, ByteBuffer raw) {
    TensorInfo t = expect(name);
    if (raw.remaining() != t.byteLength()) {
      throw new IllegalArgumentException(
          "tensor '" + name + "' needs " + t.byteLength() + " bytes, got " + raw.remaining());
    }
    try {
      if (raw.hasArray()) {
        out.write(raw.array(), raw.arrayOffset() + raw.position(), raw.remaining());
      } else {
        byte[] chunk = new byte[(int) Math.min(raw.remaining(), 1 << 16)];
        ByteBuffer r = raw.duplicate();
        while (r.hasRemaining()) {
          int n = Math.min(chunk.length, r.remaining());
          r.get(chunk, 0, n);
          out.write(chunk, 0, n);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    next++;
  }

  /**
   * Writes the next tensor by copying exactly its byte length from {@code in} (not closed), so that
   * a tensor never has to be held in memory whole.
   */
  public void writeFrom(String name, InputStream in) {
    TensorInfo t = expect(name);
    byte[] chunk = new byte[(int) Math.min(Math.max(t.byteLength(), 1), 1 << 16)];
    long left = t.byteLength();
    try {
      while (left > 0) {
        int n = in.read(chunk, 0, (int) Math.min(chunk.length, left));
        if (n < 0) {
          throw new IllegalStateException(
              "source of tensor '" + name + "' ended " + left + " bytes early");
        }
        out.write(chunk, 0, n);
        left -= n;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    next++;
  }

  /** Writes the next tensor from F32 values, converted to its dtype (round to nearest even). */
  public void writeFloats(String name, float[] values) {
    TensorInfo t = expect(name);
    if (values.length != t.elementCount()) {
      throw new IllegalArgumentException(
          "tensor '"
              + name
              + "' "
              + t.shapeString()
              + " needs "
              + t.elementCount()
              + " values, got "
              + values.length);
    }
    write(name, FloatConversions.encode(values, t.dtype()));
  }

  private TensorInfo expect(String name) {
    TensorInfo t = expected();
    if (t == null) {
      throw new IllegalStateException("all tensors were written; '" + name + "' is one too many");
    }
    if (!t.name().equals(name)) {
      throw new IllegalStateException(
          "expected tensor '" + t.name() + "' next, got '" + name + "'");
    }
    return t;
  }

  /** Checks that every tensor was written and flushes the stream (it is not closed). */
  public void finish() {
    if (expected() != null) {
      throw new IllegalStateException("tensor '" + expected().name() + "' was not written");
    }
    try {
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
