package io.adapterplatform.web.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.adapterplatform.web.problem.ApiException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.http.HttpStatus;
import org.springframework.mock.web.MockHttpServletRequest;

class MultipartTest {

  private static MockHttpServletRequest request(String method, String contentType) {
    var request = new MockHttpServletRequest(method, "/upload");
    request.setContentType(contentType);
    return request;
  }

  @ParameterizedTest
  @CsvSource({"POST, multipart/form-data; boundary=x", "post, Multipart/Mixed; boundary=x"})
  void aMultipartPostPasses(String method, String contentType) {
    assertThatCode(() -> Multipart.require(request(method, contentType)))
        .doesNotThrowAnyException();
  }

  @ParameterizedTest
  @CsvSource(
      value = {
        "POST, text/plain",
        "POST, application/json",
        "POST, null",
        "PUT, multipart/form-data"
      },
      nullValues = "null")
  void anythingElseIsThe415Problem(String method, String contentType) {
    assertThatThrownBy(() -> Multipart.require(request(method, contentType)))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.status()).isEqualTo(HttpStatus.UNSUPPORTED_MEDIA_TYPE);
              assertThat(e.slug()).isEqualTo("unsupported-media-type");
              assertThat(e.title()).isEqualTo("Unsupported media type");
              assertThat(e.getMessage()).isEqualTo("this operation takes multipart/form-data");
              assertThat(e.errors()).isEmpty();
            });
  }
}
