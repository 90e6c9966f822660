package io.adapterplatform.engine.format;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds a safetensors file from tensors held in memory. Output is deterministic: tensors and
 * metadata keys sorted by name (see {@link SafetensorsStreamWriter}); raw bytes are written
 * unchanged, so reading a tensor raw and writing it again reproduces its bytes exactly.
 */
public final class SafetensorsWriter {

  private final Map<String, Entry> tensors = new LinkedHashMap<>();
  private final Map<String, String> metadata = new TreeMap<>();

  private record Entry(TensorSpec spec, ByteBuffer raw) {}

  /** Adds one {@code __metadata__} entry. */
  public SafetensorsWriter metadata(String key, String value) {
    metadata.put(key, value);
    return this;
  }

  /** Adds {@code __metadata__} entries. */
  public SafetensorsWriter metadata(Map<String, String> entries) {
    metadata.putAll(entries);
    return this;
  }

  /** Adds a tensor from raw little-endian bytes (not copied: do not change them before writing). */
  public SafetensorsWriter add(String name, DType dtype, long[] shape, byte[] raw) {
    return add(name, dtype, shape, ByteBuffer.wrap(raw));
  }

  /** Adds a tensor from raw little-endian bytes, from the buffer's position to its limit. */
  public SafetensorsWriter add(String name, DType dtype, long[] shape, ByteBuffer raw) {
    TensorSpec spec = new TensorSpec(name, dtype, shape);
    if (raw.remaining() != spec.byteLength()) {
      throw new IllegalArgumentException(
          "tensor '"
              + name
              + "' "
              + spec
              + " needs "
              + spec.byteLength()
              + " bytes, got "
              + raw.remaining());
    }
    if (tensors.putIfAbsent(name, new Entry(spec, raw.slice())) != null) {
      throw new IllegalArgumentException("tensor '" + name + "' is added twice");
    }
    return this;
  }

  /** Adds a tensor from F32 values, stored as {@code dtype} (round to nearest even). */
  public SafetensorsWriter addFloats(String name, DType dtype, long[] shape, float[] values) {
    if (values.length != TensorInfo.elementCount(shape)) {
      throw new IllegalArgumentException(
          "tensor '"
              + name
              + "' of shape "
              + Arrays.toString(shape)
              + " needs "
              + TensorInfo.elementCount(shape)
              + " values, got "
              + values.length);
    }
    return add(name, dtype, shape, FloatConversions.encode(values, dtype));
  }

  /** The header the written file will have. */
  public SafetensorsHeader header(String fileName) {
    return SafetensorsStreamWriter.layout(specs(), metadata, fileName);
  }

  private List<TensorSpec> specs() {
    List<TensorSpec> specs = new ArrayList<>();
    tensors.values().forEach(e -> specs.add(e.spec()));
    return specs;
  }

  /** Writes the file to {@code out} (flushed, not closed). */
  public void writeTo(OutputStream out) {
    SafetensorsStreamWriter w = SafetensorsStreamWriter.begin(out, specs(), metadata);
    for (TensorInfo t : w.order()) {
      w.write(t.name(), tensors.get(t.name()).raw().duplicate());
    }
    w.finish();
  }

  /** Writes the file to {@code path}, replacing it. */
  public void writeTo(Path path) {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(path), 1 << 16)) {
      writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + path, e);
    }
  }

  /** The file's bytes. */
  public byte[] toByteArray() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeTo(out);
    return out.toByteArray();
  }
}
