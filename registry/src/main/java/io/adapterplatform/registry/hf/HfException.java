package io.adapterplatform.registry.hf;

import io.adapterplatform.web.problem.ApiException;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;

/**
 * A failure of the Hugging Face protocol: the usual problem+json body, plus the {@code
 * X-Error-Code} header by which Hugging Face's clients tell a missing repository, revision or file
 * apart (and any header the protocol wants beside it, such as {@code Content-Range: bytes *}{@code
 * /size} on a 416).
 */
class HfException extends ApiException {

  private final String errorCode;
  private final Map<String, String> headers;

  HfException(
      HttpStatus status,
      String slug,
      String title,
      String detail,
      String errorCode,
      Map<String, String> headers) {
    super(status, slug, title, detail, List.of());
    this.errorCode = errorCode;
    this.headers = Map.copyOf(headers);
  }

  String errorCode() {
    return errorCode;
  }

  Map<String, String> headers() {
    return headers;
  }

  static HfException repoNotFound(String repo) {
    return notFound(
        "RepoNotFound",
        "repository '" + repo + "' does not exist (no adapter or base model of that name)");
  }

  static HfException revisionNotFound(String repo, String revision) {
    return notFound(
        "RevisionNotFound", "revision '" + revision + "' of '" + repo + "' does not exist");
  }

  static HfException entryNotFound(String repo, String revision, String path) {
    return notFound(
        "EntryNotFound",
        "'" + path + "' does not exist in '" + repo + "' at revision '" + revision + "'");
  }

  private static HfException notFound(String code, String detail) {
    return new HfException(HttpStatus.NOT_FOUND, "not-found", "Not found", detail, code, Map.of());
  }
}
