package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.client.AdaptersApi;
import io.adapterplatform.api.registry.client.TokensApi;
import io.adapterplatform.api.registry.model.CreateTokenRequest;
import io.adapterplatform.api.registry.model.Role;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A METRICS token reads /actuator/prometheus and nothing else. */
class MetricsRoleTest extends RegistryTestBase {

  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> get(String path, String token) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
            .header("Authorization", "Bearer " + token)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aMetricsTokenReadsPrometheusOnly() throws Exception {
    String metrics = tokenWith(Role.METRICS);

    var scrape = get("/actuator/prometheus", metrics);

    assertThat(scrape.statusCode()).as(scrape.body()).isEqualTo(200);
    assertThat(scrape.body())
        .contains("registry_auth_token_lookups")
        .contains("jvm_memory_used_bytes");
    for (String path :
        List.of(
            "/actuator/metrics",
            "/actuator/info",
            "/actuator",
            "/api/v1/adapters",
            "/api/v1/base-models",
            "/api/v1/audit",
            "/api/v1/tokens")) {
      var refused = get(path, metrics);
      assertThat(refused.statusCode()).as(path + ": " + refused.body()).isEqualTo(403);
      assertThat(refused.headers().firstValue("content-type"))
          .hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
    }
    problem(403, () -> new AdaptersApi(client(metrics)).listAdapters(null, null, null, null, null));
    problem(
        403,
        () ->
            new TokensApi(client(metrics))
                .createToken(new CreateTokenRequest().name("m").roles(List.of(Role.METRICS))));
  }

  @Test
  void prometheusIsReadableByAdminsButNotByOtherRoles() throws Exception {
    assertThat(get("/actuator/prometheus", ADMIN).statusCode()).isEqualTo(200);
    assertThat(get("/actuator/prometheus", tokenWith(Role.READER)).statusCode()).isEqualTo(403);
    assertThat(get("/actuator/prometheus", tokenWith(Role.PUBLISHER)).statusCode()).isEqualTo(403);
    assertThat(
            http.send(
                    HttpRequest.newBuilder(
                            URI.create("http://localhost:" + port + "/actuator/prometheus"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(401);
  }
}
