package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.adapterplatform.api.registry.model.MoveAliasRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The raw JSON, not the generated client (which reads an absent field and a {@code null} alike): an
 * optional field with no value is left out, never written as {@code null}; only {@code nextCursor}
 * is always present, {@code null} on the last page.
 */
class AbsentFieldsTest extends RegistryTestBase {

  private static final List<String> FFN = List.of("gate_proj", "up_proj", "down_proj");

  @Test
  void aFreshAdapterHasNoLatestVersionOrDescriptionKey() throws Exception {
    String name = newAdapter();
    JsonNode adapter = get("/api/v1/adapters/" + name);
    assertThat(adapter.has("latestVersion")).isFalse();
    assertThat(adapter.has("description")).isFalse();
    assertThat(adapter.get("name").asText()).isEqualTo(name);

    publishLora(name, 1);
    assertThat(get("/api/v1/adapters/" + name).get("latestVersion").asInt()).isEqualTo(1);
  }

  @Test
  void aLoraVersionHasNoMixLoraKeysAndAMixLoraVersionHasThem() throws Exception {
    String lora = newAdapter();
    publishLora(lora, 2);
    JsonNode v = get("/api/v1/adapters/" + lora + "/versions/1");
    assertThat(v.get("kind").asText()).isEqualTo("LORA");
    assertThat(v.has("numExperts")).isFalse();
    assertThat(v.has("topK")).isFalse();
    assertThat(v.has("composedFrom")).isFalse();
    assertThat(v.get("rank").asInt()).isEqualTo(4);

    String mix = newAdapter();
    var d = dir();
    versions()
        .publishVersion(
            mix,
            List.of(
                Fixtures.write(d, "adapter_config.json", Fixtures.mixloraConfig(4, 2, 1, FFN))
                    .toFile(),
                Fixtures.write(
                        d, "adapter_model.safetensors", Fixtures.mixloraWeights(4, 2, FFN, -1, 3))
                    .toFile()),
            null);
    JsonNode m = get("/api/v1/adapters/" + mix + "/versions/1");
    assertThat(m.get("kind").asText()).isEqualTo("MIXLORA");
    assertThat(m.get("numExperts").asInt()).isEqualTo(2);
    assertThat(m.get("topK").asInt()).isEqualTo(1);
    assertThat(m.has("composedFrom")).as("uploaded, not composed").isFalse();
    JsonNode experts = get("/api/v1/adapters/" + mix + "/versions/1/experts");
    assertThat(experts.get("experts")).hasSize(2);
    experts.get("experts").forEach(e -> assertThat(e.has("source")).isFalse());
  }

  @Test
  void theLastPageHasANullNextCursorAndEarlierPagesAString() throws Exception {
    String name = newAdapter();
    publishLora(name, 4);
    publishLora(name, 5);
    JsonNode first = get("/api/v1/adapters/" + name + "/versions?limit=1");
    assertThat(first.get("nextCursor").isTextual()).isTrue();
    JsonNode last =
        get(
            "/api/v1/adapters/"
                + name
                + "/versions?limit=1&cursor="
                + first.get("nextCursor").asText());
    assertThat(last.has("nextCursor")).isTrue();
    assertThat(last.get("nextCursor").isNull()).isTrue();
    assertThat(last.get("items")).hasSize(1);
    // the generated client reads both spellings
    assertThat(versions().listVersions(name, 1, null, null).getNextCursor())
        .isEqualTo(first.get("nextCursor").asText());
    assertThat(
            versions()
                .listVersions(name, 1, first.get("nextCursor").asText(), null)
                .getNextCursor())
        .isNull();

    for (String list :
        List.of("/api/v1/adapters?limit=500", "/api/v1/base-models", "/api/v1/audit?limit=1")) {
      JsonNode page = get(list);
      assertThat(page.has("nextCursor")).as(list).isTrue();
    }
  }

  @Test
  void aliasHistoryLeavesOutTheVersionsAMoveDidNotHave() throws Exception {
    String name = newAdapter();
    publishLora(name, 6);
    publishLora(name, 7);
    aliases().moveAlias(name, "prod", new MoveAliasRequest().version(1));
    aliases().moveAlias(name, "prod", new MoveAliasRequest().version(2));
    aliases().deleteAlias(name, "prod");
    aliases().moveAlias(name, "prod", new MoveAliasRequest().version(1));
    JsonNode history = get("/api/v1/adapters/" + name + "/aliases/prod").get("history");
    assertThat(history).hasSize(4);
    // newest first: recreated (no previous), deleted (no version), moved 1 -> 2, created (no
    // previous)
    assertThat(history.get(0).has("previousVersion")).isFalse();
    assertThat(history.get(1).has("version")).isFalse();
    assertThat(history.get(1).get("previousVersion").asInt()).isEqualTo(2);
    assertThat(history.get(2).get("previousVersion").asInt()).isEqualTo(1);
    assertThat(history.get(3).has("previousVersion")).isFalse();
  }

  @Test
  void noResponseAnywhereCarriesANullExceptNextCursor() throws Exception {
    String name = newAdapter();
    publishLora(name, 8);
    aliases().moveAlias(name, "prod", new MoveAliasRequest().version(1));
    var bodies = new ArrayList<JsonNode>();
    for (String path :
        List.of(
            "/api/v1/adapters/" + name,
            "/api/v1/adapters?limit=500",
            "/api/v1/adapters/" + name + "/versions",
            "/api/v1/adapters/" + name + "/versions/prod",
            "/api/v1/adapters/" + name + "/aliases",
            "/api/v1/adapters/" + name + "/aliases/prod",
            "/api/v1/base-models",
            "/api/v1/base-models/" + BASE,
            "/api/v1/audit?limit=500",
            "/api/v1/adapters/no-such-adapter")) {
      bodies.add(get(path));
    }
    var nulls = new ArrayList<String>();
    for (JsonNode body : bodies) {
      collectNulls(body, "$", nulls);
    }
    assertThat(nulls).isEmpty();
  }

  private static void collectNulls(JsonNode node, String path, List<String> out) {
    if (node.isObject()) {
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        if (e.getValue().isNull() && !e.getKey().equals("nextCursor")) {
          out.add(path + "." + e.getKey());
        }
        collectNulls(e.getValue(), path + "." + e.getKey(), out);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        if (node.get(i).isNull()) {
          out.add(path + "[" + i + "]");
        }
        collectNulls(node.get(i), path + "[" + i + "]", out);
      }
    }
  }

  private JsonNode get(String path) throws Exception {
    var response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                    .header("Authorization", "Bearer " + ADMIN)
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(response.body());
  }
}
