package io.adapterplatform.serving.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.adapterplatform.api.registry.model.Role;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.testing.TinyModels;
import io.adapterplatform.serving.ServingTestBase;
import io.adapterplatform.serving.models.ModelResolver;
import io.adapterplatform.serving.pool.AdapterLease;
import io.adapterplatform.serving.pool.ServingPool;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

class ServingAdminApiTest extends ServingTestBase {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Autowired ServingPool pool;

  @Autowired ModelResolver resolver;

  @Test
  void anAdminLoadsPinsUnpinsAndUnloadsAnAdapterAndSeesWhereItIs() throws Exception {
    String name = published("admin-", 101);

    var loaded = post(name + "@1:load", ADMIN);
    var pinned = post(name + ":pin", ADMIN);
    var listed = get("/api/v1/serving/adapters", ADMIN);
    var unpinned = post(name + "@1:unpin", ADMIN);
    var unloaded = post(name + "@1:unload", ADMIN);
    var gone = post(name + "@1:unload", ADMIN);

    assertThat(loaded.statusCode()).as(loaded.body()).isEqualTo(200);
    JsonNode view = JSON.readTree(loaded.body());
    assertThat(view.get("adapter").asText()).isEqualTo(name);
    assertThat(view.get("version").asInt()).isEqualTo(1);
    assertThat(view.get("tiers"))
        .extracting(JsonNode::asText)
        .containsExactly("DISK", "HOST", "DEVICE");
    assertThat(view.get("slot").asInt()).isBetween(0, 1);
    assertThat(view.get("loadMillis").asLong()).isNotNegative();
    assertThat(view.get("hits").asLong()).isEqualTo(1);
    assertThat(view.get("pinned").asBoolean()).isFalse();
    assertThat(JSON.readTree(pinned.body()).get("pinned").asBoolean()).isTrue();
    assertThat(listed.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(listed.body()).get("items"))
        .anySatisfy(
            item -> {
              assertThat(item.get("adapter").asText()).isEqualTo(name);
              assertThat(item.get("pinned").asBoolean()).isTrue();
              assertThat(item.get("lastUse").asText()).isNotEmpty();
            });
    assertThat(JSON.readTree(unpinned.body()).get("pinned").asBoolean()).isFalse();
    assertThat(unloaded.statusCode()).isEqualTo(204);
    assertThat(pool.loaded()).noneMatch(a -> a.key().adapter().equals(name));
    assertProblem(gone, 404, "not-found");
  }

  @Test
  void anAdapterInUseCannotBeUnloaded() throws Exception {
    String name = published("busy-", 102);

    try (AdapterLease lease = pool.acquire(resolver.resolve(name, ADMIN), ADMIN)) {
      assertProblem(post(name + "@1:unload", ADMIN), 409, "adapter-in-use");
    }
    assertThat(post(name + "@1:unload", ADMIN).statusCode()).isEqualTo(204);
  }

  @Test
  void onlyAnAdminMayAndBadRefsAreProblems() throws Exception {
    String name = published("refused-", 103);
    String reader = tokenWith(List.of(), Role.READER);
    ensureBaseModel();

    assertProblem(get("/api/v1/serving/adapters", null), 401, "unauthorized");
    assertProblem(get("/api/v1/serving/adapters", reader), 403, "forbidden");
    assertProblem(post(name + ":load", reader), 403, "forbidden");
    assertProblem(post("no-such-adapter-" + unique() + ":load", ADMIN), 404, "not-found");
    assertProblem(post(name + "@7:load", ADMIN), 404, "not-found");
    assertProblem(post(BASE + ":load", ADMIN), 400, "invalid-field");
    assertProblem(post("Not-A-Name:load", ADMIN), 400, "invalid-field");
    assertProblem(post(name + "@1:unpin", ADMIN), 404, "not-found");
  }

  private String published(String prefix, long seed) throws Exception {
    String name = newAdapter(prefix);
    publish(
        name, TinyModels.randomLora(DIMS, 4, 8.0, false, Set.of(Projection.Q, Projection.V), seed));
    return name;
  }

  private static void assertProblem(HttpResponse<String> response, int status, String slug)
      throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
    assertThat(JSON.readTree(response.body()).get("type").asText())
        .isEqualTo("https://adapterplatform.io/problems/" + slug);
  }

  private HttpResponse<String> post(String refAndAction, String token) throws Exception {
    return send(
        HttpRequest.newBuilder(uri("/api/v1/serving/adapters/" + refAndAction))
            .POST(HttpRequest.BodyPublishers.noBody()),
        token);
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).GET(), token);
  }

  private URI uri(String path) {
    return URI.create("http://localhost:" + port + path);
  }

  private static HttpResponse<String> send(HttpRequest.Builder request, String token)
      throws Exception {
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
