package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.client.AdaptersApi;
import io.adapterplatform.api.registry.client.AuditApi;
import io.adapterplatform.api.registry.client.TokensApi;
import io.adapterplatform.api.registry.model.Role;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** Failed-authentication limit, the token cache and malformed cursors (issue 15). */
class AuthHardeningTest extends RegistryTestBase {

  private HttpResponse<String> get(HttpClient http, String path, String token) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Authorization", "Bearer " + token)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aHundredWrongTokensFromOneAddressAreAnswered429WhileOtherAddressesStillWork()
      throws Exception {
    // Another loopback address than every other test's 127.0.0.1, so that this block hits no one
    // else.
    var guesser = HttpClient.newBuilder().localAddress(InetAddress.getByName("127.0.0.7")).build();
    var others = HttpClient.newHttpClient();

    HttpResponse<String> last = null;
    for (int i = 0; i < 100; i++) {
      last = get(guesser, "/api/v1/adapters", "apt_wrong-" + i);
      if (i < 99) {
        assertThat(last.statusCode()).as("guess %d", i).isEqualTo(401);
      }
    }

    assertThat(last.statusCode()).isEqualTo(429);
    assertThat(last.headers().firstValue("content-type"))
        .hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
    assertThat(JSON.readTree(last.body()).get("type").asText()).endsWith("/too-many-requests");
    assertThat(last.headers().firstValue("retry-after"))
        .hasValueSatisfying(s -> assertThat(Long.parseLong(s)).isBetween(1L, 61L));
    assertThat(get(guesser, "/api/v1/adapters", ADMIN).statusCode())
        .as("blocked address, even a good token")
        .isEqualTo(429);
    assertThat(get(others, "/api/v1/adapters", ADMIN).statusCode()).isEqualTo(200);
  }

  @Test
  void aBurstOfRequestsWithOneTokenCostsAboutOneTokenQueryPerCacheTtl() throws Exception {
    String token = tokenWith(Role.READER);
    var http = HttpClient.newHttpClient();
    double before = lookups(http);
    long start = System.nanoTime();

    for (int i = 0; i < 50; i++) {
      assertThat(get(http, "/api/v1/base-models?limit=1", token).statusCode()).isEqualTo(200);
    }

    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
    double queries = lookups(http) - before;
    // One lookup for the new token, at most one more per 5 s TTL that the burst (and the two reads)
    // spans,
    // for it and for the admin token that reads the counter.
    long ttlsSpanned = elapsed.toSeconds() / 5 + 1;
    assertThat(queries)
        .as("token lookups for 50 requests over %s", elapsed)
        .isLessThanOrEqualTo(2.0 * ttlsSpanned + 1);
    assertThat(queries).isLessThan(50);
  }

  private double lookups(HttpClient http) throws Exception {
    var r = get(http, "/actuator/metrics/registry.auth.token.lookups", ADMIN);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body()).get("measurements").get(0).get("value").asDouble();
  }

  @Test
  void aCursorThatDecodesToANulByteOrToNoCursorIsA400() throws Exception {
    String nul =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString("k:\0".getBytes(StandardCharsets.UTF_8));
    String badUtf8 =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(new byte[] {'k', ':', (byte) 0xC3, 0x28});

    for (String cursor : new String[] {nul, badUtf8, "%%%", "AA"}) {
      var p =
          problem(400, () -> new AdaptersApi(admin()).listAdapters(null, cursor, null, null, null));
      assertThat(p.getErrors()).anySatisfy(e -> assertThat(e.getField()).isEqualTo("cursor"));
      problem(400, () -> new TokensApi(admin()).listTokens(null, cursor));
      problem(400, () -> new AuditApi(admin()).listAudit(null, cursor));
    }
    String adapter = newAdapter();
    problem(400, () -> versions().listVersions(adapter, null, nul, null));
  }
}
