package io.adapterplatform.registry.hf;

import io.adapterplatform.registry.adapter.GeneratedContent;
import io.adapterplatform.registry.adapter.Versions;
import io.adapterplatform.registry.basemodel.BaseModelCatalog;
import io.adapterplatform.registry.storage.Downloads;
import io.adapterplatform.registry.storage.FileInfo;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.auth.Role;
import io.adapterplatform.web.problem.ApiException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Service;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

/**
 * Maps Hugging Face repositories and revisions onto the registry. A repository is an adapter or a
 * base model: {@code NAME} is the adapter of that name if there is one, else the base model; {@code
 * adapters/NAME} and {@code base-models/NAME} name one kind explicitly. A revision of an adapter is
 * a version number, an alias, {@code main} or {@code HEAD} (the newest live version) or the
 * version's commit id; a base model is stored once, so its only revisions are {@code main}, {@code
 * HEAD} and its commit id.
 */
@Service
class HfRepos {

  static final String ADAPTERS = "adapters";
  static final String BASE_MODELS = "base-models";
  private static final Pattern NAME = Pattern.compile("^[a-z0-9][a-z0-9._-]{0,127}$");
  private static final Pattern COMMIT = Pattern.compile("^[0-9a-f]{40}$");

  enum Kind {
    ADAPTER,
    BASE_MODEL
  }

  /**
   * One revision of a repository: what model info, the tree and resolve show. {@code versionId} is
   * the adapter version's row (files generated on download are read through it); {@code version} is
   * null for a base model.
   */
  record Snapshot(
      String repoId,
      Kind kind,
      long versionId,
      Integer version,
      String commit,
      Instant lastModified,
      List<FileInfo> files,
      String baseModel) {

    Optional<FileInfo> file(String path) {
      return files.stream().filter(f -> f.name().equals(path)).findFirst();
    }
  }

  private final Versions versions;
  private final BaseModelCatalog baseModels;
  private final Downloads downloads;
  private final ObjectProvider<GeneratedContent> generated;

  HfRepos(
      Versions versions,
      BaseModelCatalog baseModels,
      Downloads downloads,
      ObjectProvider<GeneratedContent> generated) {
    this.versions = versions;
    this.baseModels = baseModels;
    this.downloads = downloads;
    this.generated = generated;
  }

  Snapshot resolve(Caller caller, String namespace, String name, String revision) {
    caller.require(Role.READER);
    String repoId = namespace == null ? name : namespace + "/" + name;
    boolean adapters = namespace == null || namespace.equals(ADAPTERS);
    boolean bases = namespace == null || namespace.equals(BASE_MODELS);
    if (!NAME.matcher(name).matches() || !(adapters || bases)) {
      throw HfException.repoNotFound(repoId);
    }
    if (adapters) {
      var adapter = findAdapter(name);
      if (adapter.isPresent()) {
        return adapterRevision(repoId, adapter.get(), revision);
      }
    }
    if (bases) {
      var model = baseModels.contents(name);
      if (model.isPresent()) {
        var m = model.get();
        String commit = commit("base-model:" + m.id());
        if (!revision.equals("main") && !revision.equals("HEAD") && !revision.equals(commit)) {
          throw HfException.revisionNotFound(repoId, revision);
        }
        return new Snapshot(
            repoId, Kind.BASE_MODEL, m.id(), null, commit, m.createdAt(), m.files(), m.name());
      }
    }
    throw HfException.repoNotFound(repoId);
  }

  private Optional<Versions.AdapterRef> findAdapter(String name) {
    try {
      return Optional.of(versions.adapter(name));
    } catch (ApiException e) {
      if (e.status() == HttpStatus.NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    }
  }

  private Snapshot adapterRevision(String repoId, Versions.AdapterRef adapter, String revision) {
    Optional<Versions.VersionRow> row;
    if (revision.equals("main") || revision.equals("HEAD")) {
      row = versions.latest(adapter);
    } else {
      row = Optional.empty();
      if (COMMIT.matcher(revision).matches()) {
        row = versions.live(adapter).stream().filter(v -> commitOf(v).equals(revision)).findFirst();
      }
      if (row.isEmpty() && NAME.matcher(revision).matches()) {
        row = byReference(adapter, revision);
      }
    }
    var v = row.orElseThrow(() -> HfException.revisionNotFound(repoId, revision));
    String base =
        baseModels.findById(adapter.baseModelId()).map(BaseModelCatalog.Ref::name).orElse(null);
    return new Snapshot(
        repoId,
        Kind.ADAPTER,
        v.id(),
        v.number(),
        commitOf(v),
        v.createdAt(),
        versions.files(v.id()),
        base);
  }

  /**
   * A version number or an alias; deleted versions and unknown references are both "no such
   * revision".
   */
  private Optional<Versions.VersionRow> byReference(Versions.AdapterRef adapter, String ref) {
    try {
      return Optional.of(versions.resolve(adapter, ref, false));
    } catch (ApiException e) {
      if (e.status() == HttpStatus.NOT_FOUND || e.status() == HttpStatus.GONE) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /**
   * Serves a file of a revision through the registry's verified download path, with the headers
   * Hugging Face's clients read: {@code X-Repo-Commit}, and {@code X-Linked-ETag}/{@code
   * X-Linked-Size} as the Hub sends for LFS files (every registry file is stored by its sha256, as
   * LFS files are). On HEAD the body is dropped before it is ever opened, so nothing is read from
   * the object store.
   */
  ResponseEntity<StreamingResponseBody> download(
      Snapshot s, String revision, String path, String range, String ifNoneMatch, boolean head) {
    FileInfo file =
        s.file(path).orElseThrow(() -> HfException.entryNotFound(s.repoId(), revision, path));
    boolean isGenerated =
        s.kind() == Kind.ADAPTER
            && versions.file(s.versionId(), path).map(Versions.NewFile::generated).orElse(false);
    ResponseEntity<StreamingResponseBody> served;
    try {
      if (isGenerated) {
        var source = generated.getObject();
        served = downloads.serve(file, range, ifNoneMatch, () -> source.open(s.versionId(), path));
      } else {
        served = downloads.blob(file, range, ifNoneMatch);
      }
    } catch (ApiException e) {
      if (e.status() == HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE) {
        throw new HfException(
            e.status(),
            e.slug(),
            e.title(),
            e.getMessage(),
            "RangeNotSatisfiable",
            Map.of(HttpHeaders.CONTENT_RANGE, "bytes */" + file.size()));
      }
      throw e;
    }
    var headers = new HttpHeaders();
    headers.putAll(served.getHeaders());
    headers.set("X-Repo-Commit", s.commit());
    headers.set("X-Linked-ETag", "\"" + file.sha256() + "\"");
    headers.set("X-Linked-Size", Long.toString(file.size()));
    return new ResponseEntity<>(head ? null : served.getBody(), headers, served.getStatusCode());
  }

  /**
   * The 40-hex commit id of an adapter version: stable for the version, never shared with another.
   */
  static String commitOf(Versions.VersionRow v) {
    return commit("adapter-version:" + v.id());
  }

  static String commit(String identity) {
    try {
      var sha1 = MessageDigest.getInstance("SHA-1");
      return HexFormat.of().formatHex(sha1.digest(identity.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The git blob id of the LFS pointer file of a blob: what the Hub reports as a file's {@code
   * blobId} / {@code oid} when the file is stored in LFS, as every registry file is.
   */
  static String pointerBlobId(FileInfo f) {
    byte[] pointer = pointer(f);
    try {
      var sha1 = MessageDigest.getInstance("SHA-1");
      sha1.update(("blob " + pointer.length + "\0").getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(sha1.digest(pointer));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] pointer(FileInfo f) {
    return ("version https://git-lfs.github.com/spec/v1\noid sha256:"
            + f.sha256()
            + "\nsize "
            + f.size()
            + "\n")
        .getBytes(StandardCharsets.US_ASCII);
  }
}
