package io.adapterplatform.serving.pool;

import io.adapterplatform.engine.format.ModelConfig;
import io.adapterplatform.serving.models.RegistryAccess;
import io.adapterplatform.serving.models.ResolvedAdapter;
import io.adapterplatform.serving.models.StoredFile;
import io.adapterplatform.web.problem.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.springframework.http.HttpStatus;

/**
 * Fetches adapter files from the registry into the disk tier's directory. A version's files land in
 * a staging directory, each checked against the sha256 the registry listed, and only a version
 * whose every file matched is moved into place: nothing unverified is ever parsed.
 */
final class AdapterFiles {

  private final RegistryAccess registry;
  private final Path root;
  private final Map<String, ModelConfig> baseConfigs = new ConcurrentHashMap<>();

  AdapterFiles(RegistryAccess registry, Path root) {
    this.registry = registry;
    this.root = root;
    try {
      // The disk tier is a cache of this run: a restarted pod catches up from the registry.
      if (Files.isDirectory(root)) {
        deleteTree(root);
      }
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the adapter disk tier in " + root, e);
    }
  }

  /** Downloads and verifies every file of {@code adapter}; returns the version's directory. */
  Path fetch(ResolvedAdapter adapter, String token) {
    Path target =
        root.resolve(adapter.key().adapter()).resolve(String.valueOf(adapter.key().version()));
    Path staging;
    try {
      Files.createDirectories(root.resolve(".staging"));
      staging = Files.createTempDirectory(root.resolve(".staging"), "fetch-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stage a download in " + root, e);
    }
    try {
      for (StoredFile file : adapter.files()) {
        download(adapter, file, staging.resolve(file.name()), token);
      }
      Files.createDirectories(target.getParent());
      if (Files.exists(target)) {
        deleteTree(target);
      }
      Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot store " + adapter.key() + " in " + root, e);
    } finally {
      deleteQuietly(staging);
    }
  }

  private void download(ResolvedAdapter adapter, StoredFile file, Path to, String token)
      throws IOException {
    if (file.name().isEmpty()
        || file.name().startsWith(".")
        || file.name().contains("/")
        || file.name().contains("\\")) {
      throw digestMismatch(adapter, file, "a name that is not a plain file name");
    }
    MessageDigest sha256 = sha256();
    try (InputStream in =
            new DigestInputStream(
                registry.open(
                    List.of(
                        "api",
                        "v1",
                        "adapters",
                        adapter.key().adapter(),
                        "versions",
                        String.valueOf(adapter.key().version()),
                        "files",
                        file.name()),
                    token),
                sha256);
        OutputStream out = Files.newOutputStream(to)) {
      in.transferTo(out);
    }
    String actual = HexFormat.of().formatHex(sha256.digest());
    if (!actual.equals(file.sha256())) {
      throw digestMismatch(adapter, file, "sha256 " + actual);
    }
  }

  private static ApiException digestMismatch(ResolvedAdapter adapter, StoredFile file, String got) {
    return new ApiException(
        HttpStatus.BAD_GATEWAY,
        "adapter-digest-mismatch",
        "Bad gateway",
        "refused "
            + file.name()
            + " of "
            + adapter.key()
            + ": the registry lists sha256 "
            + file.sha256()
            + ", the download has "
            + got,
        List.of());
  }

  /** The base model's config.json, fetched once per base model. */
  ModelConfig baseConfig(String baseModel, String token) {
    return baseConfigs.computeIfAbsent(
        baseModel,
        name -> {
          try (InputStream in =
              registry.open(
                  List.of("api", "v1", "base-models", name, "files", "config.json"), token)) {
            return ModelConfig.parse(in.readAllBytes(), name + "/config.json");
          } catch (IOException e) {
            throw new UncheckedIOException("cannot read the config of base model " + name, e);
          }
        });
  }

  void delete(Path dir) {
    deleteQuietly(dir);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteQuietly(Path dir) {
    try {
      if (Files.exists(dir)) {
        deleteTree(dir);
      }
    } catch (IOException e) {
      // a leftover directory costs disk only; the next start empties the tier anyway
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
