package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Input the generated client cannot produce: every kind of garbage gets problem+json, never a 500.
 */
class BadInputTest extends RegistryTestBase {

  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> send(String method, String path, String contentType, String body)
      throws Exception {
    var b =
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
            .header("Authorization", "Bearer " + ADMIN);
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> assertProblem(HttpResponse<String> r, int status)
      throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("content-type"))
        .hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
    Map<String, Object> body = JSON.readValue(r.body(), Map.class);
    assertThat(body.get("status")).isEqualTo(status);
    assertThat((String) body.get("type")).startsWith("https://adapterplatform.io/problems/");
    return body;
  }

  @Test
  void malformedJsonIs400() throws Exception {
    var body =
        assertProblem(send("POST", "/api/v1/adapters", "application/json", "{\"name\": "), 400);
    assertThat((String) body.get("type")).endsWith("/malformed-json");
  }

  @Test
  void wrongContentTypesAre415() throws Exception {
    assertProblem(send("POST", "/api/v1/adapters", "text/plain", "hello"), 415);
    String name = newAdapter();
    assertProblem(
        send("POST", "/api/v1/adapters/" + name + "/versions", "text/plain", "hello"), 415);
  }

  @Test
  void unknownEnumsAre400() throws Exception {
    assertProblem(send("GET", "/api/v1/adapters?kind=SUPERLORA", null, null), 400);
    assertProblem(
        send(
            "POST",
            "/api/v1/tokens",
            "application/json",
            "{\"name\": \"x\", \"roles\": [\"KING\"]}"),
        400);
    assertProblem(send("GET", "/api/v1/adapters?limit=abc", null, null), 400);
  }

  @Test
  void badEnumQueryValueListsTheAllowedValues() throws Exception {
    var body = assertProblem(send("GET", "/api/v1/adapters?kind=SUPERLORA", null, null), 400);

    assertThat(fieldErrors(body))
        .containsExactly(
            Map.of(
                "field",
                "kind",
                "message",
                "must be one of [LORA, DORA, MIXLORA], not 'SUPERLORA'"));
  }

  @Test
  void badIntegerQueryValueSaysWhatItMustBe() throws Exception {
    var body = assertProblem(send("GET", "/api/v1/adapters?limit=abc", null, null), 400);

    assertThat(fieldErrors(body))
        .containsExactly(Map.of("field", "limit", "message", "must be an integer, not 'abc'"));
  }

  @Test
  void unknownPropertiesInRequestBodiesAre400NamingTheProperty() throws Exception {
    ensureBaseModel();
    String adapter = "ad-" + unique();

    var create =
        assertProblem(
            send(
                "POST",
                "/api/v1/adapters",
                "application/json",
                "{\"name\": \""
                    + adapter
                    + "\", \"baseModel\": \""
                    + BASE
                    + "\", \"decription\": \"typo\"}"),
            400);
    var token =
        assertProblem(
            send(
                "POST",
                "/api/v1/tokens",
                "application/json",
                "{\"name\": \"t\", \"roles\": [\"READER\"], \"admin\": true}"),
            400);
    var compose =
        assertProblem(
            send(
                "POST",
                "/api/v1/adapters/" + newAdapter() + "/versions",
                "application/json",
                "{\"compose\": {\"experts\": [\"a@1\"], \"topK\": 1, \"router\": {\"seeed\": 3}}}"),
            400);
    var alias =
        assertProblem(
            send(
                "PUT",
                "/api/v1/adapters/" + newAdapter() + "/aliases/prod",
                "application/json",
                "{\"version\": 1, \"force\": true}"),
            400);

    assertThat((String) create.get("type")).endsWith("/unknown-field");
    assertThat(fieldErrors(create))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.get("field")).isEqualTo("decription");
              assertThat(e.get("message"))
                  .contains("known properties: [baseModel, description, labels, name]");
            });
    assertThat(fieldErrors(token)).extracting(e -> e.get("field")).containsExactly("admin");
    assertThat(fieldErrors(compose))
        .extracting(e -> e.get("field"))
        .containsExactly("compose.router.seeed");
    assertThat(fieldErrors(alias)).extracting(e -> e.get("field")).containsExactly("force");
    assertThat(problem(404, () -> adapters().getAdapter(adapter))).isNotNull();
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, String>> fieldErrors(Map<String, Object> problem) {
    return (List<Map<String, String>>) problem.get("errors");
  }

  @Test
  void malformedMultipartIs400() throws Exception {
    String name = newAdapter();
    var r =
        send(
            "POST",
            "/api/v1/adapters/" + name + "/versions",
            "multipart/form-data; boundary=XYZ",
            "--XYZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"adapter_config.json\"\r\n\r\n{}");
    assertProblem(r, 400);
    var noBoundary =
        send("POST", "/api/v1/adapters/" + name + "/versions", "multipart/form-data", "garbage");
    assertProblem(noBoundary, 400);
  }

  @Test
  void unknownPathsAndMethodsAreProblems() throws Exception {
    assertProblem(send("GET", "/api/v1/nothing-here", null, null), 404);
    assertProblem(send("PATCH", "/api/v1/adapters", "application/json", "{}"), 405);
  }

  @Test
  void missingBearerIs401ProblemJson() throws Exception {
    var r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/v1/adapters"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertProblem(r, 401);
    assertThat(r.headers().firstValue("www-authenticate")).hasValue("Bearer");
  }

  @Test
  void healthNeedsNoToken() throws Exception {
    var r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/actuator/health"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("UP");
  }
}
