package io.adapterplatform.registry.storage;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.LoggerFactory;

/**
 * A parsed multipart upload whose files were streamed under one upload prefix. Closing it, after
 * the committing transaction ended (or failed), removes the objects no blob row adopted: those of a
 * failed upload, and duplicates of blobs the registry held already.
 */
public record StagedUpload(
    String prefix,
    Map<String, String> fields,
    List<StagedFile> files,
    BlobStore store,
    BlobRows rows)
    implements AutoCloseable {

  public Optional<StagedFile> file(String name) {
    return files.stream().filter(f -> f.name().equals(name)).findFirst();
  }

  /**
   * What identifies the upload's content whatever the multipart framing (boundary, part order):
   * every form field's name with the sha256 of its value, every file's name with its sha256
   * (computed while it streamed).
   */
  public String digest() {
    var sb = new StringBuilder();
    new TreeMap<>(fields)
        .forEach(
            (name, value) ->
                sb.append("field ").append(name).append(' ').append(sha256(value)).append('\n'));
    files.stream()
        .sorted(Comparator.comparing(StagedFile::name))
        .forEach(
            f -> sb.append("file ").append(f.name()).append(' ').append(f.sha256()).append('\n'));
    return sb.toString();
  }

  private static String sha256(String value) {
    try {
      return java.util.HexFormat.of()
          .formatHex(
              java.security.MessageDigest.getInstance("SHA-256")
                  .digest(value.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    rows.forgetStaged(prefix);
    try {
      for (String key : rows.unadopted(files.stream().map(StagedFile::stagingKey).toList())) {
        store.remove(key);
      }
    } catch (RuntimeException e) {
      // Left for the collector, which removes objects that no row names once they are older than
      // its grace.
      LoggerFactory.getLogger(StagedUpload.class)
          .warn("upload {}: leftovers stay for the collector: {}", prefix, e.toString());
    }
  }
}
