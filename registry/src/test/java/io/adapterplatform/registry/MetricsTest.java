package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.model.Role;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * /actuator/prometheus carries the registry's series, and they move with uploads, rejections and
 * downloads.
 */
class MetricsTest extends RegistryTestBase {

  private static final Pattern SAMPLE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})?\\s+(\\S+).*$");

  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> get(String path, String token) throws Exception {
    var b = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private String scrape() throws Exception {
    var r = get("/actuator/prometheus", ADMIN);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r.body();
  }

  /**
   * The sum of a series' samples whose labels include every {@code label="value"} given; 0 when
   * absent.
   */
  private static double value(String scrape, String series, String... labels) {
    double sum = 0;
    for (String line : scrape.lines().toList()) {
      var m = SAMPLE.matcher(line);
      if (line.startsWith("#") || !m.matches() || !m.group(1).equals(series)) {
        continue;
      }
      String set = m.group(2) == null ? "" : m.group(2);
      if (List.of(labels).stream().allMatch(set::contains)) {
        sum += Double.parseDouble(m.group(3));
      }
    }
    return sum;
  }

  @Test
  void requestTimesAreKeptWithoutTheirPerRequestInFlightTimer() throws Exception {
    newAdapter();

    String scrape = scrape();

    assertThat(value(scrape, "http_server_requests_seconds_count", "uri=\"/api/v1/adapters\""))
        .isPositive();
    assertThat(scrape).doesNotContain("http_server_requests_active_seconds");
  }

  @Test
  void seriesMoveAfterAnUploadARejectionAndADownload() throws Exception {
    String name = newAdapter();
    String before = scrape();

    var v = publishLora(name, 51);
    problem(
        400,
        () ->
            versions()
                .publishVersion(
                    name, List.of(loraFiles(4, List.of("q_proj"), false, 52).get(0)), null));
    versions().downloadVersionFile(name, "1", "adapter_model.safetensors", null, null);
    String after = scrape();

    long uploaded = v.getFiles().stream().mapToLong(f -> f.getSize()).sum();
    long weights =
        v.getFiles().stream()
            .filter(f -> f.getName().equals("adapter_model.safetensors"))
            .mapToLong(f -> f.getSize())
            .sum();
    String accepted = "outcome=\"accepted\"";
    String version = "kind=\"adapter-version\"";
    assertThat(
            value(after, "registry_uploads_total", version, accepted)
                - value(before, "registry_uploads_total", version, accepted))
        .isEqualTo(1);
    assertThat(
            value(after, "registry_uploads_total", version, "outcome=\"rejected\"")
                - value(before, "registry_uploads_total", version, "outcome=\"rejected\""))
        .isEqualTo(1);
    assertThat(
            value(after, "registry_upload_bytes_total")
                - value(before, "registry_upload_bytes_total"))
        .isGreaterThanOrEqualTo(uploaded);
    String invalid = "type=\"invalid-field\"";
    assertThat(
            value(after, "registry_rejections_total", invalid, "status=\"400\"")
                - value(before, "registry_rejections_total", invalid, "status=\"400\""))
        .isEqualTo(1);
    assertThat(value(after, "registry_downloads_total") - value(before, "registry_downloads_total"))
        .isEqualTo(1);
    assertThat(
            value(after, "registry_download_bytes_total")
                - value(before, "registry_download_bytes_total"))
        .isEqualTo(weights);
    assertThat(after)
        .containsPattern("(?m)^registry_outbox_unsent(\\{[^}]*})? ")
        .containsPattern("(?m)^registry_outbox_oldest_age_seconds(\\{[^}]*})? ");
    assertThat(value(after, "registry_outbox_oldest_age_seconds"))
        .isNotNaN()
        .isGreaterThanOrEqualTo(0);
    assertThat(value(after, "registry_outbox_unsent")).isNotNaN().isGreaterThanOrEqualTo(0);
  }

  @Test
  void rejectionsWrittenOutsideTheControllersAreCountedToo() throws Exception {
    String before = scrape();

    assertThat(get("/api/v1/adapters", null).statusCode()).isEqualTo(401);
    assertThat(get("/api/v1/no-such-route", ADMIN).statusCode()).isEqualTo(404);
    String after = scrape();

    String unauthorized = "type=\"unauthorized\"";
    assertThat(
            value(after, "registry_rejections_total", unauthorized)
                - value(before, "registry_rejections_total", unauthorized))
        .isEqualTo(1);
    assertThat(
            value(after, "registry_rejections_total", "status=\"404\"")
                - value(before, "registry_rejections_total", "status=\"404\""))
        .isEqualTo(1);
  }

  @Test
  void prometheusNeedsAnAdminToken() throws Exception {
    assertThat(get("/actuator/prometheus", null).statusCode()).isEqualTo(401);
    assertThat(get("/actuator/prometheus", tokenWith(Role.READER)).statusCode()).isEqualTo(403);
    assertThat(get("/actuator/prometheus", ADMIN).headers().firstValue("content-type"))
        .hasValueSatisfying(ct -> assertThat(ct).startsWith("text/plain"));
  }

  @Test
  void swaggerUiIsServedWithoutAToken() throws Exception {
    var page = get("/swagger-ui/index.html", null);
    var entry =
        HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build()
            .send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/swagger-ui.html"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    var config = get("/v3/api-docs/swagger-config", null);

    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).containsIgnoringCase("swagger-ui");
    assertThat(entry.statusCode()).isEqualTo(200);
    assertThat(entry.uri().getPath()).isEqualTo("/swagger-ui/index.html");
    assertThat(config.statusCode()).isEqualTo(200);
    assertThat(config.body()).contains("/v3/api-docs");
  }
}
