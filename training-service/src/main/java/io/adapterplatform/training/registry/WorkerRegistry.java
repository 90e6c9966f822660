package io.adapterplatform.training.registry;

import io.adapterplatform.api.registry.client.AdaptersApi;
import io.adapterplatform.api.registry.client.AliasesApi;
import io.adapterplatform.api.registry.client.BaseModelsApi;
import io.adapterplatform.api.registry.client.VersionsApi;
import io.adapterplatform.api.registry.invoker.ApiClient;
import io.adapterplatform.api.registry.invoker.ApiException;
import io.adapterplatform.api.registry.model.CreateAdapterRequest;
import io.adapterplatform.api.registry.model.FileInfo;
import io.adapterplatform.api.registry.model.MoveAliasRequest;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * The registry as a worker sees it: the same public API (platform-api's generated client) as {@link
 * RegistryClient}, but with the worker's own service token, since no caller is there to forward:
 * {@code platform.training.worker.registry-token}, else the registry's admin token ({@code
 * platform.auth.admin-token}, or the file the registry writes its generated one to, which is what
 * the one-JVM launcher has).
 */
@Component
public class WorkerRegistry {

  private static final Logger log = LoggerFactory.getLogger(WorkerRegistry.class);

  /** A base model's files, downloaded and checked against their sha256. */
  public record BaseModelFiles(String name, Path dir, String sha256) {}

  /** A published version. */
  public record Published(String adapter, int version) {}

  /** A file this worker checked against its sha256, as it was then. */
  private record Verified(String sha256, long size, FileTime modified) {}

  private final Environment environment;
  private volatile ApiClient client;
  // A base model loaded again after its idle linger is not hashed again (91 MiB: about a second of
  // a loaded core) when its files are as this worker left them.
  private final Map<Path, Verified> verified = new ConcurrentHashMap<>();

  WorkerRegistry(Environment environment) {
    this.environment = environment;
  }

  private ApiClient client() {
    var c = client;
    if (c == null) {
      c = new ApiClient();
      c.setConnectTimeout(Duration.ofSeconds(5));
      c.setReadTimeout(Duration.ofMinutes(10));
      c.updateBaseUri(
          environment.resolveRequiredPlaceholders(
              environment.getProperty(
                  "platform.training.registry-url", "http://localhost:${local.server.port}")));
      String token = token();
      c.setRequestInterceptor(b -> b.header("Authorization", "Bearer " + token));
      client = c;
    }
    return c;
  }

  private String token() {
    for (String property :
        List.of("platform.training.worker.registry-token", "platform.auth.admin-token")) {
      String t = environment.getProperty(property);
      if (t != null && !t.isBlank()) {
        return t.strip();
      }
    }
    Path file =
        Path.of(
            environment.resolvePlaceholders(
                environment.getProperty(
                    "platform.auth.admin-token-file",
                    "${platform.data-dir:.platform-data}/admin-token")));
    try {
      return Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new IllegalStateException(
          "the training worker has no registry token: set platform.training.worker.registry-token"
              + " (PLATFORM_TRAINING_WORKER_REGISTRY_TOKEN)",
          e);
    }
  }

  /**
   * Downloads every file of base model {@code name} into {@code dir} (kept when already there with
   * the right digest), each checked against the sha256 the registry lists. Its digest for the
   * lineage is the sha256 of the sorted {@code "<file> <sha256>\n"} lines of its files.
   */
  public BaseModelFiles baseModel(String name, Path dir) {
    var api = new BaseModelsApi(client());
    try {
      var model = api.getBaseModel(name);
      Files.createDirectories(dir);
      var files =
          model.getFiles().stream().sorted(Comparator.comparing(FileInfo::getName)).toList();
      var manifest = new StringBuilder();
      for (FileInfo f : files) {
        Path target = dir.resolve(f.getName());
        if (!holds(target, f.getSha256())) {
          File downloaded = api.downloadBaseModelFile(name, f.getName(), null, null);
          moveChecked(downloaded.toPath(), target, f.getSha256());
          remember(target, f.getSha256());
        }
        manifest.append(f.getName()).append(' ').append(f.getSha256()).append('\n');
      }
      return new BaseModelFiles(
          name, dir, sha256(manifest.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (ApiException e) {
      throw new IllegalStateException(
          "cannot download base model " + name + ": the registry answered " + e.getCode(), e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot download base model " + name, e);
    }
  }

  /** Downloads every file of {@code adapter@ref} into {@code dir}, checked against its sha256. */
  public Path version(String adapter, String ref, Path dir) {
    var api = new VersionsApi(client());
    try {
      var version = api.getVersion(adapter, ref);
      Files.createDirectories(dir);
      for (FileInfo f : version.getFiles()) {
        File downloaded = api.downloadVersionFile(adapter, ref, f.getName(), null, null);
        moveChecked(downloaded.toPath(), dir.resolve(f.getName()), f.getSha256());
      }
      return dir;
    } catch (ApiException e) {
      throw new IllegalStateException(
          "cannot download " + adapter + "@" + ref + ": the registry answered " + e.getCode(), e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot download " + adapter + "@" + ref, e);
    }
  }

  /**
   * Publishes the adapter in {@code dir} as a new version of {@code adapter} (created on {@code
   * baseModel} when absent). {@code idempotencyKey} makes every retry, by this worker or another,
   * answer the version the first publish made.
   */
  public Published publish(
      String adapter, String baseModel, Path dir, String metadataJson, String idempotencyKey) {
    ensureAdapter(adapter, baseModel, idempotencyKey);
    var api = new VersionsApi(client());
    List<File> files;
    try (var listing = Files.list(dir)) {
      files = listing.filter(Files::isRegularFile).sorted().map(Path::toFile).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
    for (int attempt = 1; ; attempt++) {
      try {
        var v =
            api.publishVersion(
                adapter, files, metadataJson, Map.of("Idempotency-Key", idempotencyKey));
        return new Published(v.getAdapter(), v.getVersion());
      } catch (ApiException e) {
        // 409: the first request with this key is still in flight (another worker's): wait for it.
        if (e.getCode() == 409 && attempt < 20) {
          pause(Duration.ofMillis(250L * attempt));
          continue;
        }
        throw new IllegalStateException(
            "cannot publish "
                + adapter
                + ": the registry answered "
                + e.getCode()
                + " "
                + e.getResponseBody(),
            e);
      }
    }
  }

  /** Points {@code alias} of {@code adapter} at {@code version}. */
  public void moveAlias(String adapter, String alias, int version) {
    try {
      new AliasesApi(client())
          .moveAlias(adapter, alias, new MoveAliasRequest().version(version), Map.of());
    } catch (ApiException e) {
      throw new IllegalStateException(
          "cannot move alias " + adapter + "@" + alias + ": the registry answered " + e.getCode(),
          e);
    }
  }

  private void ensureAdapter(String adapter, String baseModel, String idempotencyKey) {
    var api = new AdaptersApi(client());
    try {
      api.getAdapter(adapter);
      return;
    } catch (ApiException e) {
      if (e.getCode() != 404) {
        throw new IllegalStateException(
            "cannot read adapter " + adapter + ": the registry answered " + e.getCode(), e);
      }
    }
    try {
      api.createAdapter(
          new CreateAdapterRequest().name(adapter).baseModel(baseModel),
          Map.of("Idempotency-Key", idempotencyKey + "-adapter"));
      log.info("adapter created for a job's output: adapter={} baseModel={}", adapter, baseModel);
    } catch (ApiException e) {
      // 409: another job's worker created it in the meantime.
      if (e.getCode() != 409) {
        throw new IllegalStateException(
            "cannot create adapter " + adapter + ": the registry answered " + e.getCode(), e);
      }
    }
  }

  /**
   * Whether {@code target} holds bytes of digest {@code sha256}: hashed, unless this worker checked
   * it before and its size and modification time are unchanged since.
   */
  private boolean holds(Path target, String sha256) throws IOException {
    if (!Files.isRegularFile(target)) {
      return false;
    }
    var attributes = Files.readAttributes(target, BasicFileAttributes.class);
    var known = verified.get(target);
    if (known != null
        && known.sha256().equals(sha256)
        && known.size() == attributes.size()
        && known.modified().equals(attributes.lastModifiedTime())) {
      return true;
    }
    if (!sha256(target).equals(sha256)) {
      return false;
    }
    remember(target, sha256);
    return true;
  }

  private void remember(Path target, String sha256) throws IOException {
    var attributes = Files.readAttributes(target, BasicFileAttributes.class);
    verified.put(target, new Verified(sha256, attributes.size(), attributes.lastModifiedTime()));
  }

  private static void moveChecked(Path downloaded, Path target, String expectedSha256)
      throws IOException {
    String actual = sha256(downloaded);
    if (!actual.equals(expectedSha256)) {
      Files.deleteIfExists(downloaded);
      throw new IllegalStateException(
          target.getFileName() + ": sha256 " + actual + " is not the registry's " + expectedSha256);
    }
    Files.move(downloaded, target, StandardCopyOption.REPLACE_EXISTING);
  }

  /** The hex sha256 of a file's bytes. */
  public static String sha256(Path file) {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest())) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  public static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(digest().digest(bytes));
  }

  private static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void pause(Duration d) {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the registry", e);
    }
  }
}
