package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The QA findings on error answers: every rejected request names the offending JSON field or part,
 * leaks no Java internals, and is problem+json even when Tomcat rejects it before Spring MVC.
 */
class ProblemDetailTest extends RegistryTestBase {

  private static final List<String> FFN = List.of("gate_proj", "up_proj", "down_proj");

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

  private HttpResponse<String> json(String method, String path, String body) throws Exception {
    return send(method, path, "application/json", body);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> problem(int status, int code, String contentType, String body)
      throws Exception {
    assertThat(code).as(body).isEqualTo(status);
    assertThat(contentType).as(body).startsWith("application/problem+json");
    assertThat(body)
        .doesNotContain("io.adapterplatform")
        .doesNotContain("java.")
        .doesNotContain("<html");
    Map<String, Object> p = JSON.readValue(body, Map.class);
    assertThat(p.get("status")).isEqualTo(status);
    assertThat((String) p.get("type")).startsWith("https://adapterplatform.io/problems/");
    return p;
  }

  private static Map<String, Object> problem(int status, HttpResponse<String> r) throws Exception {
    return problem(
        status, r.statusCode(), r.headers().firstValue("content-type").orElse(""), r.body());
  }

  /** Asserts exactly one field error on {@code field} and returns its message. */
  @SuppressWarnings("unchecked")
  private static String fieldError(Map<String, Object> p, String field) {
    var errors = (List<Map<String, String>>) p.get("errors");
    assertThat(errors).as(p.toString()).hasSize(1);
    assertThat(errors.getFirst().get("field")).as(p.toString()).isEqualTo(field);
    return errors.getFirst().get("message");
  }

  @Test
  void missingBodyIsA400WithoutInternals() throws Exception {
    var p = problem(400, json("POST", "/api/v1/tokens", null));
    assertThat((String) p.get("detail")).contains("request body is missing");
    p = problem(400, json("POST", "/api/v1/tokens", "  "));
    assertThat((String) p.get("detail")).contains("request body is missing");
  }

  @Test
  void badJsonValuesNameTheirField() throws Exception {
    var p = problem(400, json("POST", "/api/v1/tokens", "{\"name\":\"x\",\"roles\":[\"GOD\"]}"));
    assertThat(fieldError(p, "roles[0]"))
        .contains("READER, PUBLISHER, TRAINER, ADMIN")
        .contains("GOD");

    String adapter = newAdapter();
    publishLora(adapter, 1);
    String alias = "/api/v1/adapters/" + adapter + "/aliases/production";
    assertThat(fieldError(problem(400, json("PUT", alias, "{\"version\":\"x\"}")), "version"))
        .contains("integer");
    assertThat(
            fieldError(problem(400, json("PUT", alias, "{\"version\":99999999999999}")), "version"))
        .contains("out of range");

    p =
        problem(
            400,
            json(
                "POST",
                "/api/v1/adapters/" + adapter + "/versions",
                "{\"compose\":{\"experts\":\"" + adapter + "@1\",\"topK\":1}}"));
    assertThat(fieldError(p, "compose.experts")).contains("array");

    p =
        problem(
            400,
            json(
                "POST",
                "/api/v1/adapters",
                "{\"name\":\"d-"
                    + unique()
                    + "\",\"baseModel\":\""
                    + BASE
                    + "\",\"description\":{\"a\":1}}"));
    assertThat(fieldError(p, "description")).contains("string");

    p = problem(400, json("POST", "/api/v1/adapters", "[1, 2]"));
    assertThat((String) p.get("detail")).contains("object");
  }

  @Test
  void numbersAndBooleansAreNotStrings() throws Exception {
    ensureBaseModel();
    var p =
        problem(
            400, json("POST", "/api/v1/adapters", "{\"name\":123,\"baseModel\":\"" + BASE + "\"}"));
    assertThat(fieldError(p, "name")).contains("string");
    p =
        problem(
            400,
            json(
                "POST",
                "/api/v1/adapters",
                "{\"name\":\"n-" + unique() + "\",\"baseModel\":true}"));
    assertThat(fieldError(p, "baseModel")).contains("string");
    assertThat(adapters().listAdapters(null, null, null, null, null).getItems())
        .noneMatch(a -> a.getName().equals("123"));
  }

  @Test
  void aFormFieldGivenTwiceIsRejected() throws Exception {
    String body =
        "--XYZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nm-one\r\n"
            + "--XYZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nm-two\r\n"
            + "--XYZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"config.json\"\r\n\r\n{}\r\n--XYZ--\r\n";
    var p =
        problem(
            400, send("POST", "/api/v1/base-models", "multipart/form-data; boundary=XYZ", body));
    assertThat(fieldError(p, "name")).contains("given twice");
    assertThat(send("GET", "/api/v1/base-models/m-two", null, null).statusCode()).isEqualTo(404);
  }

  @Test
  void listFiltersFollowTheNamingRules() throws Exception {
    fieldError(
        problem(400, send("GET", "/api/v1/adapters?baseModel=BAD%20X", null, null)), "baseModel");
    fieldError(problem(400, send("GET", "/api/v1/adapters?label=", null, null)), "label");
    fieldError(
        problem(400, send("GET", "/api/v1/adapters?label=Bad%20Key%3Dv", null, null)), "label");
    fieldError(problem(400, send("GET", "/api/v1/adapters?label=%3Dv", null, null)), "label");
    assertThat(
            send("GET", "/api/v1/adapters?label=team%3Dx&baseModel=" + BASE, null, null)
                .statusCode())
        .isEqualTo(200);
  }

  @Test
  void composingFromMissingSourcesIs422OnTheField() throws Exception {
    String a = newAdapter();
    versions().publishVersion(a, loraFiles(4, FFN, false, 41), null);
    String mix = newAdapter();
    for (var experts :
        List.of(
            List.of("nope@1"), List.of(a + "@1", a + "@9"), List.of(a + "@1", a + "@staging"))) {
      var p = problem(422, compose(ADMIN, mix, Map.of("experts", experts, "topK", 1)));
      assertThat(fieldError(p, "compose.experts[" + (experts.size() - 1) + "]"))
          .contains("does not exist");
    }
    var p =
        problem(
            422,
            compose(
                ADMIN,
                mix,
                Map.of("experts", List.of(a + "@1"), "topK", 1, "attention", "nope@1")));
    assertThat(fieldError(p, "compose.attention")).contains("nope");
    assertThat(versions().listVersions(mix, null, null, null).getItems()).isEmpty();
  }

  @Test
  @SuppressWarnings("unchecked")
  void inconsistentExpertsArePointedAtByIndex() throws Exception {
    String a = newAdapter();
    versions().publishVersion(a, loraFiles(4, FFN, false, 51), null);
    String b = newAdapter();
    versions().publishVersion(b, loraFiles(8, FFN, false, 52), null);
    String mix = newAdapter();
    var p =
        problem(
            422, compose(ADMIN, mix, Map.of("experts", List.of(a + "@1", b + "@1"), "topK", 1)));
    var errors = (List<Map<String, String>>) p.get("errors");
    assertThat(errors)
        .isNotEmpty()
        .allSatisfy(e -> assertThat(e.get("field")).isEqualTo("compose.experts[1]"));
  }

  @Test
  void titlesShareOneStyle() throws Exception {
    assertThat(problem(404, send("GET", "/api/v1/nothing-here", null, null)).get("title"))
        .isEqualTo("Not found");
    assertThat(
            problem(404, send("GET", "/api/v1/adapters/none-" + unique(), null, null)).get("title"))
        .isEqualTo("Not found");
    assertThat(problem(405, json("PATCH", "/api/v1/adapters", "{}")).get("title"))
        .isEqualTo("Method not allowed");
    assertThat(problem(415, send("POST", "/api/v1/adapters", "text/plain", "x")).get("title"))
        .isEqualTo("Unsupported media type");
    assertThat(problem(400, json("POST", "/api/v1/adapters", "{\"name\": ")).get("title"))
        .isEqualTo("Bad request");
  }

  /**
   * Raw bytes on a socket: these requests are ones no well-behaved client library agrees to send.
   */
  private Map<String, Object> raw(String target, String extraHeader) throws Exception {
    try (var socket = new Socket("localhost", port)) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("GET "
                  + target
                  + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                  + ADMIN
                  + "\r\n"
                  + extraHeader
                  + "Connection: close\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      var all = new ByteArrayOutputStream();
      in.transferTo(all);
      String response = all.toString(StandardCharsets.UTF_8);
      int split = response.indexOf("\r\n\r\n");
      assertThat(split).as(response).isPositive();
      String head = response.substring(0, split);
      int code = Integer.parseInt(head.substring(9, 12));
      String contentType =
          head.lines()
              .filter(l -> l.regionMatches(true, 0, "content-type:", 0, 13))
              .map(l -> l.substring(13).strip())
              .findFirst()
              .orElse("");
      return problem(code >= 400 ? code : -1, code, contentType, response.substring(split + 4));
    }
  }

  @Test
  void requestsTomcatRejectsAreProblemJsonToo() throws Exception {
    String a = newAdapter();
    publishLora(a, 61);
    for (String target :
        List.of(
            "/api/v1/adapters/%zz",
            "/api/v1/adapters/a%2Fb",
            "/api/v1/adapters/a%00b",
            "/api/v1/adapters/" + a + "/versions/1/files/..%2F..%2Fetc%2Fpasswd")) {
      var p = raw(target, "");
      assertThat((Integer) p.get("status")).as(target).isBetween(400, 404);
    }
    var p = raw("/api/v1/adapters", "X-Big: " + "x".repeat(20 * 1024) + "\r\n");
    assertThat(p.get("status")).isEqualTo(400);
    assertThat(p.get("title")).isEqualTo("Bad request");
  }
}
