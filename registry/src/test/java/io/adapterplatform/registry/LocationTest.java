package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.client.BaseModelsApi;
import io.adapterplatform.api.registry.client.TokensApi;
import io.adapterplatform.api.registry.invoker.ApiResponse;
import io.adapterplatform.api.registry.model.CreateAdapterRequest;
import io.adapterplatform.api.registry.model.CreateTokenRequest;
import io.adapterplatform.api.registry.model.Role;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every 201 names the new resource in {@code Location}, and that address serves it. */
class LocationTest extends RegistryTestBase {

  @Test
  void issuedTokenIsLocatedAtItsId() throws Exception {
    var issued =
        new TokensApi(admin())
            .createTokenWithHttpInfo(
                new CreateTokenRequest().name("t-" + unique()).roles(List.of(Role.READER)));

    assertThat(issued.getStatusCode()).isEqualTo(201);
    assertThat(location(issued)).isEqualTo(url("/api/v1/tokens/" + issued.getData().getId()));
  }

  @Test
  void uploadedBaseModelIsLocatedAtItsName() throws Exception {
    String name = "bm-" + unique();
    Path d = dir();

    var stored =
        new BaseModelsApi(admin())
            .uploadBaseModelWithHttpInfo(
                name,
                List.of(
                    Fixtures.write(d, "config.json", Fixtures.modelConfig()).toFile(),
                    Fixtures.write(d, "model.safetensors", Fixtures.modelWeights(7)).toFile(),
                    Fixtures.write(d, "tokenizer.json", "{\"version\": \"1.0\"}").toFile()));

    assertThat(stored.getStatusCode()).isEqualTo(201);
    assertThat(location(stored)).isEqualTo(url("/api/v1/base-models/" + name));
    assertThat(follow(location(stored))).contains("\"name\":\"" + name + "\"");
  }

  @Test
  void createdAdapterIsLocatedAtItsName() throws Exception {
    ensureBaseModel();
    String name = "ad-" + unique();

    var created =
        adapters().createAdapterWithHttpInfo(new CreateAdapterRequest().name(name).baseModel(BASE));

    assertThat(created.getStatusCode()).isEqualTo(201);
    assertThat(location(created)).isEqualTo(url("/api/v1/adapters/" + name));
    assertThat(follow(location(created))).contains("\"name\":\"" + name + "\"");
  }

  @Test
  void publishedVersionIsLocatedAtItsNumber() throws Exception {
    String adapter = newAdapter();
    publishLora(adapter, 1);

    var published =
        versions()
            .publishVersionWithHttpInfo(adapter, loraFiles(4, List.of("q_proj"), false, 2), null);

    assertThat(published.getStatusCode()).isEqualTo(201);
    assertThat(published.getData().getVersion()).isEqualTo(2);
    assertThat(location(published)).isEqualTo(url("/api/v1/adapters/" + adapter + "/versions/2"));
    assertThat(follow(location(published))).contains("\"version\":2");
  }

  private static String location(ApiResponse<?> response) {
    var values = response.getHeaders().get("location");
    assertThat(values).as("Location header").hasSize(1);
    return values.get(0);
  }

  private String url(String path) {
    return "http://localhost:" + port + path;
  }

  /** GETs the address with the admin token; the body must be a 200. */
  private static String follow(String location) throws Exception {
    var response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(location))
                    .header("Authorization", "Bearer " + ADMIN)
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return response.body();
  }
}
