package io.adapterplatform.registry.storage;

import io.adapterplatform.web.problem.ApiException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

/**
 * Serves a stored file with {@code ETag: "<sha256>"}, {@code If-None-Match} (304) and one {@code
 * Range} (206), verifying the bytes against the sha256 while they stream. The last chunk is held
 * back until the whole object has been digested, so a mismatch is always found before the body is
 * complete; it raises {@link CorruptBlobException}, which the problem advice answers with a clean
 * 500 problem (no file headers) while nothing has been sent, and otherwise turns into an aborted
 * connection, short of the Content-Length.
 *
 * <p>A range of a blob whose chunk digests were recorded at upload ({@link ChunkDigests}) is read
 * by one ranged GET of just the chunks that cover it, each chunk verified against its digest before
 * any byte of it is written: a mismatch in the first chunk is the same clean 500, a later one the
 * same aborted connection. Ranges of other files (blobs stored before digests were recorded,
 * generated files) are verified as a whole, which reads the whole object. {@code
 * registry.download.bytes.read} counts the bytes read to serve downloads.
 */
@Component
public class Downloads {

  private static final Logger log = LoggerFactory.getLogger(Downloads.class);
  private static final Pattern RANGE = Pattern.compile("^bytes=(\\d*)-(\\d*)$");
  private static final int CHUNK = 64 * 1024;

  private final BlobStore store;
  private final BlobRows rows;
  private final MeterRegistry meters;

  Downloads(BlobStore store, BlobRows rows, MeterRegistry meters) {
    this.store = store;
    this.rows = rows;
    this.meters = meters;
  }

  public ResponseEntity<StreamingResponseBody> blob(
      FileInfo file, String range, String ifNoneMatch) {
    return respond(
        file,
        range,
        ifNoneMatch,
        (from, to, ranged) -> {
          // Looked up here, on the request's thread: no connection is held while the body streams.
          var chunks =
              ranged ? rows.chunkDigests(file.sha256(), from, to) : Optional.<ChunkDigests>empty();
          if (chunks.isPresent()) {
            return out -> copyChunks(file, chunks.get(), from, to, out);
          }
          return out -> copyVerified(file, () -> store.openBlob(file.sha256(), 0), from, to, out);
        });
  }

  public ResponseEntity<StreamingResponseBody> serve(
      FileInfo file, String range, String ifNoneMatch, Supplier<InputStream> source) {
    return respond(
        file,
        range,
        ifNoneMatch,
        (from, to, ranged) -> out -> copyVerified(file, source, from, to, out));
  }

  /** The body of bytes {@code from..to} of a file; {@code ranged} when a Range asked for them. */
  private interface Body {
    StreamingResponseBody of(long from, long to, boolean ranged);
  }

  private ResponseEntity<StreamingResponseBody> respond(
      FileInfo file, String range, String ifNoneMatch, Body body) {
    String etag = "\"" + file.sha256() + "\"";
    if (ifNoneMatch != null && matches(ifNoneMatch, etag)) {
      return ResponseEntity.status(HttpStatus.NOT_MODIFIED).eTag(etag).build();
    }
    long size = file.size();
    long first = 0;
    long last = size - 1;
    HttpStatus status = HttpStatus.OK;
    if (range != null && !range.isBlank()) {
      Matcher m = RANGE.matcher(range.strip());
      if (m.matches() && !(m.group(1).isEmpty() && m.group(2).isEmpty())) {
        if (m.group(1).isEmpty()) { // suffix: the last n bytes
          long n = position(m.group(2));
          if (n == 0) {
            throw unsatisfiable(size);
          }
          first = Math.max(0, size - n);
        } else {
          first = position(m.group(1));
          if (!m.group(2).isEmpty()) {
            last = Math.min(last, position(m.group(2)));
          }
          if (first >= size || last < first) {
            throw unsatisfiable(size);
          }
        }
        status = HttpStatus.PARTIAL_CONTENT;
      }
      // Anything else (several ranges, other units) is ignored as RFC 9110 allows: the whole file
      // follows.
    }
    final long from = first;
    final long to = last;
    var builder =
        ResponseEntity.status(status)
            .eTag(etag)
            .header(HttpHeaders.ACCEPT_RANGES, "bytes")
            .contentType(MediaType.APPLICATION_OCTET_STREAM)
            .contentLength(size == 0 ? 0 : to - from + 1);
    if (status == HttpStatus.PARTIAL_CONTENT) {
      builder.header(HttpHeaders.CONTENT_RANGE, "bytes " + from + "-" + to + "/" + size);
    }
    return builder.body(body.of(from, to, status == HttpStatus.PARTIAL_CONTENT));
  }

  /** One file of an archive and where its bytes come from. */
  public record ArchiveEntry(FileInfo file, Supplier<InputStream> source) {}

  /** An archive entry of a stored blob. */
  public ArchiveEntry stored(FileInfo file) {
    return new ArchiveEntry(file, () -> store.openBlob(file.sha256(), 0));
  }

  /**
   * Streams {@code entries} as one tar ({@code application/x-tar}) with a known Content-Length.
   * Each file is verified against its sha256 as it streams, its last chunk held back until the
   * digest matched; a mismatch aborts the response short of its length. The ETag is the caller's:
   * archives are not stored, so it is derived from what they contain.
   */
  public ResponseEntity<StreamingResponseBody> archive(
      List<ArchiveEntry> entries,
      String etag,
      String fileName,
      java.time.Instant mtime,
      String ifNoneMatch) {
    if (ifNoneMatch != null && matches(ifNoneMatch, etag)) {
      return ResponseEntity.status(HttpStatus.NOT_MODIFIED).eTag(etag).build();
    }
    long length = TarFormat.END_LENGTH;
    for (var e : entries) {
      length += TarFormat.entryLength(e.file().name(), e.file().size());
    }
    long seconds = mtime.getEpochSecond();
    StreamingResponseBody body =
        out -> {
          for (var e : entries) {
            out.write(TarFormat.headers(e.file().name(), e.file().size(), seconds));
            copyVerified(e.file(), e.source(), 0, e.file().size() - 1, out);
            TarFormat.pad(out, e.file().size());
          }
          out.write(new byte[TarFormat.END_LENGTH]);
        };
    return ResponseEntity.ok()
        .eTag(etag)
        .contentType(MediaType.parseMediaType("application/x-tar"))
        .contentLength(length)
        .header(HttpHeaders.CONTENT_DISPOSITION, "attachment; filename=\"" + fileName + "\"")
        .body(body);
  }

  private void copyVerified(
      FileInfo file, Supplier<InputStream> source, long from, long to, OutputStream out)
      throws IOException {
    MessageDigest digest = sha256();
    byte[] buf = new byte[CHUNK];
    byte[] pending = new byte[CHUNK];
    int pendingLen = 0;
    long pos = 0;
    Counter bytesRead = meters.counter("registry.download.bytes.read");
    try (InputStream in = source.get()) {
      int n;
      while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
        // Counted before any byte is written, so that the count is complete when the client has the
        // body.
        bytesRead.increment(n);
        digest.update(buf, 0, n);
        // The slice of this chunk inside [from, to]
        long s = Math.max(from, pos);
        long e = Math.min(to + 1, pos + n);
        if (pendingLen > 0 && e > s) {
          out.write(pending, 0, pendingLen);
          pendingLen = 0;
        }
        if (e > s) {
          System.arraycopy(buf, (int) (s - pos), pending, 0, (int) (e - s));
          pendingLen = (int) (e - s);
        }
        pos += n;
      }
    }
    String actual = HexFormat.of().formatHex(digest.digest());
    if (pos != file.size() || !actual.equals(file.sha256())) {
      meters.counter("registry.download.corrupt").increment();
      log.error(
          "stored bytes of {} do not match their sha256 {} (read {} bytes, digest {}): response aborted",
          file.name(),
          file.sha256(),
          pos,
          actual);
      throw new CorruptBlobException(
          "the stored bytes of "
              + file.name()
              + " do not match their sha256; nothing of "
              + "them is served");
    }
    countServed(to - from + 1);
    if (pendingLen > 0) {
      out.write(pending, 0, pendingLen);
    }
  }

  /**
   * Counted before the last bytes go out, so that a client that has the whole body (a scrape right
   * after it, a test) sees the download counted.
   */
  private void countServed(long bytes) {
    meters.counter("registry.download.bytes").increment(bytes);
    meters.counter("registry.downloads").increment();
  }

  /**
   * Serves bytes {@code from..to} of a blob by one ranged read of the chunks that cover them. Each
   * chunk is read whole into memory (one chunk per download) and compared with its recorded digest
   * before any of its bytes are written, so no unverified byte reaches the client.
   */
  private void copyChunks(FileInfo file, ChunkDigests chunks, long from, long to, OutputStream out)
      throws IOException {
    long chunkSize = chunks.chunkSize();
    long firstChunk = from / chunkSize;
    long lastChunk = to / chunkSize;
    long start = firstChunk * chunkSize;
    long end = Math.min(file.size(), (lastChunk + 1) * chunkSize);
    MessageDigest digest = sha256();
    byte[] buf = new byte[(int) Math.min(chunkSize, end - start)];
    Counter bytesRead = meters.counter("registry.download.bytes.read");
    try (InputStream in = store.openRange(file.sha256(), start, end - start)) {
      for (long chunk = firstChunk; chunk <= lastChunk; chunk++) {
        long chunkStart = chunk * chunkSize;
        int length = (int) Math.min(chunkSize, file.size() - chunkStart);
        int n = in.readNBytes(buf, 0, length);
        bytesRead.increment(n);
        digest.update(buf, 0, n);
        if (n != length || !chunks.matches(chunk, digest.digest())) {
          meters.counter("registry.download.corrupt").increment();
          log.error(
              "stored bytes of {} (sha256 {}) do not match the digest of chunk {} (read {} of {} bytes): "
                  + "response aborted",
              file.name(),
              file.sha256(),
              chunk,
              n,
              length);
          throw new CorruptBlobException(
              "the stored bytes of "
                  + file.name()
                  + " do not match their digests; "
                  + "nothing more of them is served");
        }
        long s = Math.max(from, chunkStart);
        long e = Math.min(to + 1, chunkStart + length);
        if (chunk == lastChunk) {
          countServed(to - from + 1);
        }
        out.write(buf, (int) (s - chunkStart), (int) (e - s));
      }
    }
  }

  /** The stored bytes of a file no longer match its sha256 (found while serving them). */
  public static final class CorruptBlobException extends IOException {

    CorruptBlobException(String message) {
      super(message);
    }
  }

  private static boolean matches(String ifNoneMatch, String etag) {
    for (String candidate : ifNoneMatch.split(",")) {
      String c = candidate.strip();
      if (c.startsWith("W/")) {
        c = c.substring(2);
      }
      if (c.equals("*") || c.equals(etag)) {
        return true;
      }
    }
    return false;
  }

  /**
   * A byte position of a Range header. RFC 9110 puts no bound on its digits: one past what a long
   * holds is past the end of any file, which the caller answers as it does any other position past
   * the end.
   */
  private static long position(String digits) {
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException tooLarge) {
      return Long.MAX_VALUE;
    }
  }

  private static ApiException unsatisfiable(long size) {
    return new ApiException(
        HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
        "range-not-satisfiable",
        "Range not satisfiable",
        "the file has " + size + " bytes",
        List.of(new ApiException.FieldError("Range", "outside 0.." + Math.max(0, size - 1))));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
