package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.model.Role;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Actuator endpoints other than health need an ADMIN token; health and the OpenAPI document stay
 * open.
 */
class ActuatorAuthTest extends RegistryTestBase {

  private static final List<String> PROTECTED =
      List.of(
          "/actuator", "/actuator/info", "/actuator/metrics", "/actuator/metrics/jvm.memory.used");

  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> get(String path, String token) throws Exception {
    var b = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertProblem(HttpResponse<String> r, int status, String path)
      throws Exception {
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("content-type"))
        .hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
    var body = JSON.readTree(r.body());
    assertThat(body.get("status").asInt()).isEqualTo(status);
    assertThat(body.get("type").asText()).startsWith("https://adapterplatform.io/problems/");
  }

  @Test
  void actuatorEndpointsOtherThanHealthNeedAnAdminToken() throws Exception {
    String reader = tokenWith(Role.READER);
    String publisher = tokenWith(Role.PUBLISHER);
    for (String path : PROTECTED) {
      var anonymous = get(path, null);
      assertProblem(anonymous, 401, path);
      assertThat(anonymous.headers().firstValue("www-authenticate")).hasValue("Bearer");
      assertProblem(get(path, "not-a-token"), 401, path);
      assertProblem(get(path, reader), 403, path);
      assertProblem(get(path, publisher), 403, path);
      var admin = get(path, ADMIN);
      assertThat(admin.statusCode()).as(path + ": " + admin.body()).isEqualTo(200);
    }
    assertThat(get("/actuator/metrics/jvm.memory.used", ADMIN).body()).contains("jvm.memory.used");
    // Path parameters and dot segments must not open a way around the check.
    assertThat(get("/actuator/health/../metrics", null).statusCode()).isIn(400, 401);
    assertThat(get("/actuator/health;x=1/../metrics", null).statusCode()).isIn(400, 401);
    assertThat(get("/actuator;x=1/metrics", null).statusCode()).isIn(400, 401);
  }

  @Test
  void healthAndTheOpenApiDocumentStayOpen() throws Exception {
    var health = get("/actuator/health", null);
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("UP");
    var docs = get("/v3/api-docs", null);
    assertThat(docs.statusCode()).isEqualTo(200);
    assertThat(docs.body()).contains("openapi");
  }
}
