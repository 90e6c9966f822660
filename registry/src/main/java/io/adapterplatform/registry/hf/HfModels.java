package io.adapterplatform.registry.hf;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.adapterplatform.registry.storage.FileInfo;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;

/** The JSON shapes of the Hub's API, as far as Hugging Face's clients read them. */
final class HfModels {

  /** The Hub's own timestamp form (milliseconds, 'Z'), which every client version parses. */
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private HfModels() {}

  /** {@code GET /api/models/{repo}[/revision/{revision}]}. */
  @JsonInclude(Include.NON_NULL)
  record ModelInfo(
      @JsonProperty("_id") String objectId,
      String id,
      String modelId,
      String author,
      String sha,
      String lastModified,
      String createdAt,
      @JsonProperty("private") boolean isPrivate,
      boolean gated,
      boolean disabled,
      long downloads,
      long likes,
      @JsonProperty("library_name") String libraryName,
      List<String> tags,
      Map<String, Object> cardData,
      List<Sibling> siblings,
      long usedStorage) {}

  record Sibling(String rfilename, long size, String blobId, SiblingLfs lfs) {}

  record SiblingLfs(String sha256, long size, int pointerSize) {}

  /** One entry of {@code GET /api/models/{repo}/tree/{revision}}. */
  record TreeEntry(String type, String oid, long size, String path, TreeLfs lfs) {}

  record TreeLfs(String oid, long size, int pointerSize) {}

  static ModelInfo info(HfRepos.Snapshot s) {
    boolean adapter = s.kind() == HfRepos.Kind.ADAPTER;
    var siblings =
        s.files().stream()
            .map(
                f ->
                    new Sibling(
                        f.name(),
                        f.size(),
                        HfRepos.pointerBlobId(f),
                        new SiblingLfs(f.sha256(), f.size(), HfRepos.pointer(f).length)))
            .toList();
    List<String> tags =
        adapter
            ? List.of("peft", "safetensors", "adapter-platform")
            : List.of("transformers", "safetensors", "adapter-platform");
    Map<String, Object> card =
        adapter && s.baseModel() != null ? Map.of("base_model", s.baseModel()) : null;
    long storage = s.files().stream().mapToLong(FileInfo::size).sum();
    String time = TIME.format(s.lastModified());
    String objectId = HfRepos.commit("repo:" + s.repoId()).substring(0, 24);
    return new ModelInfo(
        objectId,
        s.repoId(),
        s.repoId(),
        null,
        s.commit(),
        time,
        time,
        true,
        false,
        false,
        0,
        0,
        adapter ? "peft" : "transformers",
        tags,
        card,
        siblings,
        storage);
  }

  static TreeEntry entry(FileInfo f) {
    return new TreeEntry(
        "file",
        HfRepos.pointerBlobId(f),
        f.size(),
        f.name(),
        new TreeLfs(f.sha256(), f.size(), HfRepos.pointer(f).length));
  }
}
