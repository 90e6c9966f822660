package io.adapterplatform.registry.hf;

import io.adapterplatform.registry.storage.FileInfo;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.page.Cursors;
import io.swagger.v3.oas.annotations.Hidden;
import java.util.Comparator;
import java.util.List;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

/**
 * The read-only part of the Hugging Face Hub protocol that the official clients call to list and
 * download a revision, under {@code /hf} (docs/api.md). Not part of the OpenAPI contract: its
 * shapes are the Hub's. Every route exists with and without a namespace segment ({@code adapters/},
 * {@code base-models/}).
 */
@Hidden
@RestController
class HfController {

  private static final int MAX_PAGE = 1000;

  private final HfRepos repos;

  HfController(HfRepos repos) {
    this.repos = repos;
  }

  @GetMapping(
      path = {"/hf/api/models/{name}", "/hf/api/models/{ns}/{name}"},
      produces = "application/json")
  HfModels.ModelInfo modelInfo(
      Caller caller, @PathVariable(required = false) String ns, @PathVariable String name) {
    return HfModels.info(repos.resolve(caller, ns, name, "HEAD"));
  }

  @GetMapping(
      path = {
        "/hf/api/models/{name}/revision/{revision}",
        "/hf/api/models/{ns}/{name}/revision/{revision}"
      },
      produces = "application/json")
  HfModels.ModelInfo modelInfoAt(
      Caller caller,
      @PathVariable(required = false) String ns,
      @PathVariable String name,
      @PathVariable String revision) {
    return HfModels.info(repos.resolve(caller, ns, name, revision));
  }

  /**
   * The files of a revision, sorted by path, paged by {@code cursor} with a {@code Link: <...>;
   * rel="next"} header as the Hub pages. Registry files have flat names, so only the root folder
   * has entries.
   */
  @GetMapping(
      path = {
        "/hf/api/models/{name}/tree/{revision}",
        "/hf/api/models/{ns}/{name}/tree/{revision}",
        "/hf/api/models/{name}/tree/{revision}/{*path}",
        "/hf/api/models/{ns}/{name}/tree/{revision}/{*path}"
      },
      produces = "application/json")
  ResponseEntity<List<HfModels.TreeEntry>> tree(
      Caller caller,
      @PathVariable(required = false) String ns,
      @PathVariable String name,
      @PathVariable String revision,
      @PathVariable(required = false) String path,
      @RequestParam(required = false) String cursor,
      @RequestParam(required = false) Integer limit) {
    var snapshot = repos.resolve(caller, ns, name, revision);
    String folder = path == null ? "" : path.replaceAll("^/+|/+$", "");
    if (!folder.isEmpty()) {
      throw HfException.entryNotFound(snapshot.repoId(), revision, folder);
    }
    int size = limit == null || limit < 1 || limit > MAX_PAGE ? MAX_PAGE : limit;
    String after = cursor == null ? "" : Cursors.decode(cursor);
    var files =
        snapshot.files().stream()
            .sorted(Comparator.comparing(FileInfo::name))
            .filter(f -> f.name().compareTo(after) > 0)
            .limit(size + 1L)
            .toList();
    var page = files.stream().limit(size).map(HfModels::entry).toList();
    var response = ResponseEntity.ok();
    if (files.size() > size) {
      String next =
          ServletUriComponentsBuilder.fromCurrentRequest()
              .replaceQueryParam("cursor", Cursors.encode(files.get(size - 1).name()))
              .build()
              .toUriString();
      response.header(HttpHeaders.LINK, "<" + next + ">; rel=\"next\"");
    }
    return response.body(page);
  }

  @GetMapping({
    "/hf/{name}/resolve/{revision}/{*path}",
    "/hf/{ns}/{name}/resolve/{revision}/{*path}"
  })
  ResponseEntity<StreamingResponseBody> resolve(
      Caller caller,
      @PathVariable(required = false) String ns,
      @PathVariable String name,
      @PathVariable String revision,
      @PathVariable String path,
      @RequestHeader(name = "Range", required = false) String range,
      @RequestHeader(name = "If-None-Match", required = false) String ifNoneMatch) {
    var snapshot = repos.resolve(caller, ns, name, revision);
    return repos.download(snapshot, revision, path.substring(1), range, ifNoneMatch, false);
  }

  /** HEAD answers GET's headers (size, ETag, commit) without reading the object store. */
  @RequestMapping(
      method = RequestMethod.HEAD,
      path = {
        "/hf/{name}/resolve/{revision}/{*path}",
        "/hf/{ns}/{name}/resolve/{revision}/{*path}"
      })
  ResponseEntity<StreamingResponseBody> resolveHead(
      Caller caller,
      @PathVariable(required = false) String ns,
      @PathVariable String name,
      @PathVariable String revision,
      @PathVariable String path,
      @RequestHeader(name = "Range", required = false) String range,
      @RequestHeader(name = "If-None-Match", required = false) String ifNoneMatch) {
    var snapshot = repos.resolve(caller, ns, name, revision);
    return repos.download(snapshot, revision, path.substring(1), range, ifNoneMatch, true);
  }
}
