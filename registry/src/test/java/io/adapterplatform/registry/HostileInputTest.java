package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * Hand-made requests with numbers and bodies cut where a parser is tempted to trust them: each is a
 * 4xx problem+json, and the server logs no error and no stack trace for it.
 */
@ExtendWith(OutputCaptureExtension.class)
class HostileInputTest extends RegistryTestBase {

  private static final String WEIGHTS = "adapter_model.safetensors";
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void rangePositionsBeyondWhatALongHoldsAre416OrTheWholeFile(CapturedOutput output)
      throws Exception {
    String adapter = newAdapter();
    publishLora(adapter, 3);
    String path = "/api/v1/adapters/" + adapter + "/versions/1/files/" + WEIGHTS;
    int before = output.length();

    var start = get(path, "bytes=99999999999999999999-");
    var end = get(path, "bytes=0-99999999999999999999");
    var suffix = get(path, "bytes=-99999999999999999999");

    assertProblem(start, 416);
    var size = Long.parseLong(end.headers().firstValue("content-length").orElseThrow());
    assertThat(end.statusCode()).isEqualTo(206);
    assertThat(end.headers().firstValue("content-range"))
        .hasValue("bytes 0-" + (size - 1) + "/" + size);
    assertThat(suffix.statusCode()).isEqualTo(206);
    assertThat(suffix.headers().firstValue("content-range"))
        .hasValue("bytes 0-" + (size - 1) + "/" + size);
    assertNoErrorLogged(output, before);
  }

  @Test
  void aSafetensorsHeaderCutShortByTheEndOfThePartIs400(CapturedOutput output) throws Exception {
    String adapter = newAdapter();
    int before = output.length();

    var announcedMore = upload(adapter, safetensorsPrefix(1000, "{\"base_model.model"), true);
    var lengthCut = upload(adapter, new byte[] {16, 0, 0}, true);

    assertProblem(announcedMore, 400);
    assertProblem(lengthCut, 400);
    assertNoErrorLogged(output, before);
  }

  @Test
  void aSafetensorsHeaderCutShortByTheEndOfTheBodyIs400(CapturedOutput output) throws Exception {
    String adapter = newAdapter();
    int before = output.length();

    var r = upload(adapter, safetensorsPrefix(1000, "{\"base_model.model"), false);

    assertProblem(r, 400);
    assertNoErrorLogged(output, before);
  }

  /**
   * The 8-byte little-endian header length, then the first characters of a header that never comes.
   */
  private static byte[] safetensorsPrefix(long announced, String headerStart) {
    var bytes = headerStart.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(8 + bytes.length)
        .order(ByteOrder.LITTLE_ENDIAN)
        .putLong(announced)
        .put(bytes)
        .array();
  }

  /**
   * A config part, then the weights part holding {@code weights}; {@code closed}: with the final
   * boundary.
   */
  private HttpResponse<String> upload(String adapter, byte[] weights, boolean closed)
      throws Exception {
    var body = new ByteArrayOutputStream();
    body.writeBytes(
        ("--XYZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"adapter_config.json\"\r\n\r\n"
                + Fixtures.loraConfig(4, java.util.List.of("q_proj", "v_proj"), false)
                + "\r\n--XYZ\r\n"
                + "Content-Disposition: form-data; name=\"files\"; filename=\""
                + WEIGHTS
                + "\"\r\n\r\n")
            .getBytes(StandardCharsets.UTF_8));
    body.writeBytes(weights);
    if (closed) {
      body.writeBytes("\r\n--XYZ--\r\n".getBytes(StandardCharsets.UTF_8));
    }
    var request =
        HttpRequest.newBuilder(
                URI.create(
                    "http://localhost:" + port + "/api/v1/adapters/" + adapter + "/versions"))
            .header("Authorization", "Bearer " + ADMIN)
            .header("Content-Type", "multipart/form-data; boundary=XYZ")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path, String range) throws Exception {
    var request =
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
            .header("Authorization", "Bearer " + ADMIN)
            .header("Range", range)
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @SuppressWarnings("unchecked")
  private static void assertProblem(HttpResponse<String> r, int status) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("content-type"))
        .hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
    assertThat(JSON.readValue(r.body(), Map.class).get("status")).isEqualTo(status);
  }

  private static void assertNoErrorLogged(CapturedOutput output, int from) {
    var logged = output.getAll().substring(from);
    assertThat(logged).doesNotContain(" ERROR ").doesNotContain("\tat ");
  }
}
