package io.adapterplatform.registry.storage;

import io.adapterplatform.engine.format.FormatException;
import io.adapterplatform.engine.format.SafetensorsDataVerifier;
import io.adapterplatform.engine.format.SafetensorsHeader;
import io.adapterplatform.registry.problem.RegistryProblem;
import io.adapterplatform.web.problem.ApiException;
import io.adapterplatform.web.upload.Multipart;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.http.HttpServletRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.commons.fileupload2.core.FileUploadException;
import org.springframework.stereotype.Component;

/**
 * Parses a multipart request AS A STREAM ({@link MultipartReader}, the container's multipart
 * support disabled): each file part goes straight to the S3 key it will keep once committed (no
 * copy afterwards) while it is hashed and, for a safetensors file, while its header is parsed. Heap
 * use is bounded by one S3 part (8 MiB) plus the read-ahead (≈ 8 MiB) plus the safetensors headers
 * and JSON files kept for validation, whatever the file size; nothing is spooled to local disk.
 * What one request may make the process hold is bounded: its number of parts ({@code
 * platform.registry.max-parts}), the bytes of JSON files and safetensors headers it keeps ({@code
 * platform.registry.max-buffered-bytes}), and the file names it may carry ({@link AcceptedFiles}).
 */
@Component
public class Uploads {

  /** JSON files are parsed in memory; tokenizer.json of large vocabularies reaches tens of MiB. */
  static final int MAX_JSON_BYTES = 64 * 1024 * 1024;

  private static final int MAX_FIELD_BYTES = 4096;
  private static final Pattern FILE_NAME = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$");

  private final BlobStore store;
  private final StorageProperties properties;
  private final MeterRegistry meters;
  private final BlobRows rows;

  Uploads(BlobStore store, StorageProperties properties, MeterRegistry meters, BlobRows rows) {
    this.store = store;
    this.rows = rows;
    this.properties = properties;
    this.meters = meters;
  }

  /**
   * Stages every file part of {@code request}; form fields named in {@code fieldNames} are kept as
   * strings, any other part name is a 400. On failure everything staged so far is removed.
   */
  public StagedUpload stage(
      HttpServletRequest request, Set<String> fieldNames, AcceptedFiles accepted) {
    var limits = new LinkedHashMap<String, Integer>();
    fieldNames.forEach(f -> limits.put(f, MAX_FIELD_BYTES));
    return stage(request, limits, Set.of(), accepted);
  }

  /**
   * As {@link #stage(HttpServletRequest, Set, AcceptedFiles)} with a size limit per form field; the
   * fields named in {@code fileFields} may also come as file parts ({@code curl -F
   * metadata=@meta.json}).
   */
  public StagedUpload stage(
      HttpServletRequest request,
      Map<String, Integer> fieldLimits,
      Set<String> fileFields,
      AcceptedFiles accepted) {
    Multipart.require(request);
    String prefix = store.newUploadPrefix();
    var fields = new LinkedHashMap<String, String>();
    var files = new ArrayList<StagedFile>();
    long started = System.nanoTime();
    var budget = new BufferBudget(properties.maxBufferedBytes().toBytes());
    int parts = 0;
    try {
      var items =
          new MultipartReader(
              request.getInputStream(),
              MultipartReader.boundary(request.getContentType()),
              properties.maxFileSize().toBytes());
      for (var item = items.next(); item != null; item = items.next()) {
        if (++parts > properties.maxParts()) {
          throw ApiException.tooLarge(
              "an upload has at most " + properties.maxParts() + " parts",
              List.of(
                  new ApiException.FieldError(
                      "files", "more than " + properties.maxParts() + " parts")));
        }
        if (item.fileName() == null || fileFields.contains(item.fieldName())) {
          Integer limit = fieldLimits.get(item.fieldName());
          if (limit == null) {
            throw ApiException.invalidField(item.fieldName(), "is not a part of this operation");
          }
          if (fields.containsKey(item.fieldName())) {
            // Last-wins would silently pick one of two conflicting values.
            throw ApiException.invalidField(item.fieldName(), "is given twice");
          }
          try (InputStream in = item.body()) {
            byte[] value = in.readNBytes(limit + 1);
            if (value.length > limit) {
              throw ApiException.invalidField(
                  item.fieldName(), "is too long (at most " + limit + " bytes)");
            }
            fields.put(item.fieldName(), new String(value, StandardCharsets.UTF_8));
          }
          continue;
        }
        if (!"files".equals(item.fieldName())) {
          throw ApiException.invalidField(
              item.fieldName(), "files are sent as parts named 'files'");
        }
        String name = fileName(item.fileName());
        accepted.require(name);
        if (files.stream().anyMatch(f -> f.name().equals(name))) {
          throw ApiException.invalidField("files", "'" + name + "' is sent twice");
        }
        try (InputStream in = item.body()) {
          files.add(stageFile(name, prefix + files.size(), in, budget));
        }
      }
      if (files.isEmpty()) {
        throw ApiException.invalidField("files", "at least one file part is required");
      }
      long bytes = files.stream().mapToLong(StagedFile::size).sum();
      meters.counter("registry.upload.bytes").increment(bytes);
      meters
          .timer("registry.upload.staging")
          .record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
      return new StagedUpload(prefix, fields, List.copyOf(files), store, rows);
    } catch (RuntimeException e) {
      rows.forgetStaged(prefix);
      store.removeStaging(prefix);
      throw e;
    } catch (IOException e) {
      rows.forgetStaged(prefix);
      store.removeStaging(prefix);
      throw asProblem(e);
    }
  }

  private StagedFile stageFile(String name, String key, InputStream raw, BufferBudget budget)
      throws IOException {
    var hashing = new HashingInputStream(raw);
    byte[] content = null;
    SafetensorsHeader header = null;
    SafetensorsDataVerifier verifier = null;
    InputStream body;
    if (name.endsWith(".safetensors")) {
      var capture = new CapturingInputStream(hashing);
      try {
        header =
            SafetensorsHeader.read(
                capture, name, Math.min(SafetensorsHeader.MAX_HEADER_BYTES, budget.left(name)));
      } catch (FormatException e) {
        if (hashing.failure() != null) {
          throw hashing.failure();
        }
        throw e;
      } catch (UncheckedIOException e) {
        // The engine's reader wraps the stream's failure: here that is the client's body ending (or
        // breaking
        // its multipart framing) inside the header, a bad request like any other cut-short upload.
        throw hashing.failure() != null ? hashing.failure() : e.getCause();
      }
      // The data section is checked (exact size, finite values) in the same pass that stores it.
      verifier = new SafetensorsDataVerifier(hashing, header);
      byte[] captured = capture.captured();
      budget.take(name, captured.length);
      body = new SequenceInputStream(new ByteArrayInputStream(captured), verifier);
    } else if (name.endsWith(".json")) {
      content = hashing.readNBytes((int) Math.min(MAX_JSON_BYTES, budget.left(name)) + 1);
      if (content.length > MAX_JSON_BYTES) {
        throw ApiException.tooLarge(
            name + " is larger than " + MAX_JSON_BYTES + " bytes",
            List.of(new ApiException.FieldError(name, "larger than " + MAX_JSON_BYTES + " bytes")));
      }
      budget.take(name, content.length);
      body = new ByteArrayInputStream(content);
    } else {
      body = hashing;
    }
    // Streamed bodies are read (parsed, hashed, checked) on a second thread while the S3 client
    // sends the
    // previous part; closing joins that thread before the digest, count or verifier are looked at.
    try (InputStream upload = content == null ? new ReadAheadInputStream(body) : body) {
      store.putStaging(key, upload);
    } catch (RuntimeException e) {
      if (hashing.failure() != null) {
        throw hashing.failure(); // the client's stream failed (size limit, truncated body), not S3
      }
      for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
        if (c instanceof MultipartReader.MultipartException me) {
          throw me;
        }
        if (c instanceof FileUploadException fue) {
          throw fue;
        }
      }
      throw e;
    }
    if (verifier != null) {
      verifier.verify();
    }
    rows.staged(key, hashing.chunkDigests());
    return new StagedFile(name, key, hashing.sha256(), hashing.count(), content, header);
  }

  /**
   * The bytes of JSON files and safetensors headers one request keeps until it ends. Each read is
   * bounded by what is left, so going over costs at most one byte past the budget.
   */
  private static final class BufferBudget {

    private final long max;
    private long used;

    BufferBudget(long max) {
      this.max = max;
    }

    long left(String name) {
      if (used >= max) {
        throw exhausted(name);
      }
      return max - used;
    }

    void take(String name, long bytes) {
      used += bytes;
      if (used > max) {
        throw exhausted(name);
      }
    }

    private ApiException exhausted(String name) {
      String message =
          "the JSON files and safetensors headers of one upload may hold at most " + max + " bytes";
      return ApiException.tooLarge(
          message + " (reached at " + name + ")",
          List.of(new ApiException.FieldError(name, message)));
    }
  }

  private static String fileName(String submitted) {
    String name = submitted.replace('\\', '/');
    name = name.substring(name.lastIndexOf('/') + 1);
    if (!FILE_NAME.matcher(name).matches()) {
      throw ApiException.invalidField("files", "file name '" + submitted + "' is not allowed");
    }
    return name;
  }

  private static RuntimeException asProblem(IOException e) {
    if (e instanceof MultipartReader.MultipartException me) {
      return me.tooLarge()
          ? ApiException.tooLarge(me.getMessage(), List.of())
          : ApiException.badRequest(
              "malformed-multipart", "malformed multipart body: " + me.getMessage());
    }
    if (e instanceof FileUploadException fue) {
      String cls = fue.getClass().getSimpleName();
      if (cls.contains("Size") || cls.contains("ByteCount")) {
        return ApiException.tooLarge(fue.getMessage(), List.of());
      }
      return ApiException.badRequest(
          "malformed-multipart", "malformed multipart body: " + fue.getMessage());
    }
    return ApiException.badRequest(
        "malformed-multipart", "the upload could not be read: " + e.getMessage());
  }

  static ApiException format(FormatException e) {
    return RegistryProblem.fromFormat(e);
  }
}
