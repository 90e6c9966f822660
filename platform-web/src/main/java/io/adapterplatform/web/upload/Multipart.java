package io.adapterplatform.web.upload;

import io.adapterplatform.web.problem.ApiException;
import io.adapterplatform.web.problem.Problems;
import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import java.util.Locale;
import org.springframework.http.HttpStatus;

/**
 * The services parse their uploads as streams (the container's multipart support is off), so the
 * content type Spring would otherwise check is checked here, before a parser reads the body.
 */
public final class Multipart {

  private Multipart() {}

  /**
   * Refuses a request that is not a multipart POST with the same 415 problem as Spring's own
   * ({@code unsupported-media-type}, "Unsupported media type"). The test is commons-fileupload's
   * {@code isMultipartContent}, written out so that this module needs no parser.
   */
  public static void require(HttpServletRequest request) {
    String contentType = request.getContentType();
    boolean multipart =
        "POST".equalsIgnoreCase(request.getMethod())
            && contentType != null
            && contentType.toLowerCase(Locale.ROOT).startsWith("multipart/");
    if (!multipart) {
      throw new ApiException(
          HttpStatus.UNSUPPORTED_MEDIA_TYPE,
          Problems.slug(HttpStatus.UNSUPPORTED_MEDIA_TYPE),
          Problems.title(HttpStatus.UNSUPPORTED_MEDIA_TYPE),
          "this operation takes multipart/form-data",
          List.of());
    }
  }
}
