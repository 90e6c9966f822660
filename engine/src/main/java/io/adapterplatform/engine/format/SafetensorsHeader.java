package io.adapterplatform.engine.format;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The header of a safetensors file: an 8-byte little-endian length, then that many bytes of UTF-8 JSON
 * that map tensor names to {@code {dtype, shape, data_offsets}} plus an optional {@code __metadata__}
 * map of strings. Tensor data follows the header; offsets are relative to the end of the header.
 *
 * <p>{@link #read(InputStream, String)} consumes exactly the header bytes from a stream, so that a caller
 * can stream the data section elsewhere and then call {@link #checkFileSize(long)} with the total size.
 * What is enforced (every problem is reported, not just the first): JSON is strict UTF-8 JSON without
 * duplicate keys, dtypes are F32/F16/BF16, shapes are non-negative integers, data offsets are
 * {@code [begin, end]} with {@code end - begin == elements × dtype size}, and the tensors, ordered by
 * offset, cover the data section from 0 contiguously: no gap, no overlap.
 */
public final class SafetensorsHeader {

    /** Largest JSON header accepted by default (100 MiB, the bound the reference implementation uses). */
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

    SafetensorsHeader(String fileName, long headerLength, List<TensorInfo> tensorsByOffset,
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

    /** Reads and validates the header from the start of {@code in}, bounded by {@link #MAX_HEADER_BYTES}. */
    public static SafetensorsHeader read(InputStream in, String fileName) {
        return read(in, fileName, MAX_HEADER_BYTES);
    }

    /**
     * Reads and validates the header from the start of {@code in}, consuming exactly
     * {@code 8 + json length} bytes.
     *
     * @param maxHeaderBytes the largest JSON length accepted; a larger one is {@code TOO_LARGE}
     * @throws FormatException if the header is malformed, too large or inconsistent
     * @throws UncheckedIOException if the stream fails
     */
    public static SafetensorsHeader read(InputStream in, String fileName, long maxHeaderBytes) {
        try {
            byte[] prefix = in.readNBytes(8);
            if (prefix.length < 8) {
                throw malformed(fileName, "file is " + prefix.length
                        + " bytes long, too short for the 8-byte header length");
            }
            long n = 0;
            for (int i = 7; i >= 0; i--) {
                n = (n << 8) | (prefix[i] & 0xFF);
            }
            if (n < 0 || n >= IMPLAUSIBLE_HEADER_BYTES) {
                throw malformed(fileName, "not a safetensors file: the first 8 bytes give an implausible header length "
                        + Long.toUnsignedString(n));
            }
            // One array holds the JSON: no bound may exceed what an array can hold.
            long bound = Math.min(maxHeaderBytes, Integer.MAX_VALUE - 16);
            if (n > bound) {
                throw new FormatException(FormatException.Reason.TOO_LARGE, fileName,
                        "header declares " + n + " bytes of JSON, more than the limit of " + bound);
            }
            if (n < 2) {
                throw malformed(fileName, "header declares " + n + " bytes of JSON, too short for a JSON object");
            }
            byte[] json = in.readNBytes((int) n);
            if (json.length < n) {
                throw malformed(fileName, "header declares " + n + " bytes of JSON but the file ends after "
                        + json.length + " of them");
            }
            return parse(json, fileName);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the safetensors header of " + fileName, e);
        }
    }

    private static FormatException malformed(String file, String problem) {
        return new FormatException(FormatException.Reason.MALFORMED, file, problem);
    }

    /** Validates the JSON of a header (without the 8-byte length prefix). */
    static SafetensorsHeader parse(byte[] json, String fileName) {
        if (json[0] != '{') {
            throw malformed(fileName, "header does not start with '{': not a safetensors file");
        }
        JsonObject root = Json.parseObject(json, fileName);
        Problems problems = new Problems(fileName);
        Map<String, String> metadata = new TreeMap<>();
        List<TensorInfo> tensors = new ArrayList<>();
        List<Range> ranges = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : root.entrySet()) {
            if (e.getKey().equals(METADATA_KEY)) {
                readMetadata(e.getValue(), metadata, problems);
            } else {
                readTensor(e.getKey(), e.getValue(), problems, ranges).ifPresent(tensors::add);
            }
        }
        tensors.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end)
                .thenComparing(TensorInfo::name));
        ranges.sort(Comparator.comparingLong(Range::begin).thenComparingLong(Range::end).thenComparing(Range::name));
        checkContiguous(ranges, problems);
        problems.throwIfAny();
        return new SafetensorsHeader(fileName, 8 + json.length, tensors, metadata);
    }

    private static void readMetadata(JsonElement value, Map<String, String> out, Problems problems) {
        if (value.isJsonNull()) {
            return;
        }
        if (!value.isJsonObject()) {
            problems.malformed("__metadata__ must be an object of strings");
            return;
        }
        for (Map.Entry<String, JsonElement> m : value.getAsJsonObject().entrySet()) {
            Optional<String> s = Json.string(m.getValue());
            if (s.isEmpty()) {
                problems.malformed("__metadata__ value of '" + m.getKey() + "' is not a string");
            } else {
                out.put(m.getKey(), s.get());
            }
        }
    }

    /** The byte range of an entry, known even when its dtype or shape is not acceptable. */
    private record Range(String name, long begin, long end) {
    }

    private static Optional<TensorInfo> readTensor(String name, JsonElement value, Problems problems,
            List<Range> ranges) {
        if (name.isEmpty()) {
            problems.malformed("a tensor has an empty name");
            return Optional.empty();
        }
        if (!value.isJsonObject()) {
            problems.malformed("entry of tensor '" + name + "' is not an object");
            return Optional.empty();
        }
        JsonObject o = value.getAsJsonObject();
        for (String key : o.keySet()) {
            if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
                problems.malformed("tensor '" + name + "' has an unknown field '" + key + "'");
            }
        }
        DType dtype = null;
        Optional<String> dtypeName = Json.string(o.get("dtype"));
        if (dtypeName.isEmpty()) {
            problems.malformed("tensor '" + name + "' has no string dtype");
        } else {
            dtype = DType.fromSafetensorsName(dtypeName.get()).orElse(null);
            if (dtype == null && DType.SAFETENSORS_NAMES.contains(dtypeName.get())) {
                problems.inconsistent("tensor '" + name + "' has dtype " + dtypeName.get()
                        + ", which is not supported (only F32, F16 and BF16)");
            } else if (dtype == null) {
                problems.malformed("tensor '" + name + "' has unknown dtype '" + dtypeName.get() + "'");
            }
        }
        long[] shape = naturals(o.get("shape"), -1);
        if (shape == null) {
            problems.malformed("tensor '" + name + "' shape must be an array of non-negative integers");
        }
        long[] offsets = naturals(o.get("data_offsets"), 2);
        if (offsets == null) {
            problems.malformed("tensor '" + name + "' data_offsets must be two non-negative integers [begin, end]");
        } else if (offsets[1] < offsets[0]) {
            problems.malformed("tensor '" + name + "' data_offsets [" + offsets[0] + ", " + offsets[1]
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
            problems.malformed("tensor '" + name + "' is " + dtype + " " + t.shapeString() + " = " + expected
                    + " bytes but its data_offsets [" + offsets[0] + ", " + offsets[1] + "] span " + t.byteLength());
        }
        // Kept for the contiguity check even when its size is wrong: the report is then complete.
        return Optional.of(t);
    }

    /** An array of non-negative integers (of {@code length} elements unless -1), or null. */
    private static long[] naturals(JsonElement e, int length) {
        if (e == null || !e.isJsonArray()) {
            return null;
        }
        JsonArray a = e.getAsJsonArray();
        if (length >= 0 && a.size() != length) {
            return null;
        }
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            Optional<Long> v = Json.integer(a.get(i));
            if (v.isEmpty() || v.get() < 0 || !isPlainInteger(a.get(i))) {
                return null;
            }
            out[i] = v.get();
        }
        return out;
    }

    private static boolean isPlainInteger(JsonElement e) {
        // "2.0" or "2e3" would parse as integral; the format writes plain integers and so must a file.
        return e.getAsBigDecimal().scale() == 0;
    }

    private static void checkContiguous(List<Range> byOffset, Problems problems) {
        long expected = 0;
        Range previous = null;
        for (Range t : byOffset) {
            if (t.begin() > expected) {
                problems.malformed("gap in the data section: bytes [" + expected + ", " + t.begin() + ") "
                        + (previous == null ? "before the first tensor '" : "between tensor '" + previous.name()
                        + "' and '") + t.name() + "' belong to no tensor");
            } else if (t.begin() < expected) {
                problems.malformed("tensor '" + t.name() + "' starts at " + t.begin() + ", inside tensor '"
                        + previous.name() + "' which ends at " + expected + " (overlap)");
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
     * @throws FormatException MALFORMED when the file is shorter (a tensor runs past its end) or longer
     */
    public void checkFileSize(long actualSize) {
        long expected = expectedFileSize();
        if (actualSize == expected) {
            return;
        }
        if (actualSize < headerLength) {
            throw malformed(fileName, "file is " + actualSize + " bytes, shorter than its own header ("
                    + headerLength + " bytes)");
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
            throw malformed(fileName, "tensor '" + last.name() + "' ends at " + last.end()
                    + " but the data section is " + data + " bytes (file is " + actualSize + " bytes, expected "
                    + expected + ")");
        }
        throw malformed(fileName, "file is " + actualSize + " bytes but its header and tensors account for "
                + expected + ": " + (actualSize - expected) + " trailing bytes belong to no tensor");
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
            throw new FormatException(FormatException.Reason.INCONSISTENT, fileName, "has no tensor '" + name + "'");
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
