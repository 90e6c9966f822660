package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.client.VersionsApi;
import io.adapterplatform.api.registry.invoker.ApiResponse;
import io.adapterplatform.api.registry.model.AdapterVersion;
import io.adapterplatform.api.registry.model.Compose;
import io.adapterplatform.api.registry.model.ComposeRequest;
import io.adapterplatform.api.registry.model.CreateAdapterRequest;
import io.adapterplatform.api.registry.model.Role;
import io.adapterplatform.embedded.BackendsInitializer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;

/** {@code Idempotency-Key} on creating POSTs, through the generated client's per-call headers. */
class IdempotencyTest extends RegistryTestBase {

  @Test
  void retryOfAnUploadWithTheSameKeyReplaysTheFirstAnswer() throws Exception {
    String name = newAdapter();
    var files = loraFiles(4, List.of("q_proj"), false, 81);
    var key = Map.of("Idempotency-Key", UUID.randomUUID().toString());

    var first =
        versions().publishVersionWithHttpInfo(name, files, "{\"tags\": {\"run\": \"1\"}}", key);
    var retry =
        versions().publishVersionWithHttpInfo(name, files, "{\"tags\": {\"run\": \"1\"}}", key);

    assertThat(first.getStatusCode()).isEqualTo(201);
    assertThat(first.getHeaders()).doesNotContainKey("idempotent-replayed");
    assertThat(retry.getStatusCode()).isEqualTo(201);
    assertThat(retry.getHeaders().get("idempotent-replayed")).containsExactly("true");
    assertThat(retry.getHeaders().get("location")).isEqualTo(first.getHeaders().get("location"));
    assertThat(retry.getData()).isEqualTo(first.getData());
    assertThat(versions().listVersions(name, null, null, null).getItems()).hasSize(1);
  }

  @Test
  void theSameKeyWithAnotherRequestIs422AndAnotherTokensKeyIsItsOwn() throws Exception {
    String name = newAdapter();
    var key = Map.of("Idempotency-Key", "key-" + UUID.randomUUID());
    versions().publishVersion(name, loraFiles(4, List.of("q_proj"), false, 82), null, key);

    var other =
        problem(
            422,
            () ->
                versions()
                    .publishVersion(name, loraFiles(4, List.of("q_proj"), false, 83), null, key));
    var otherMetadata =
        problem(
            422,
            () ->
                versions()
                    .publishVersion(
                        name,
                        loraFiles(4, List.of("q_proj"), false, 82),
                        "{\"description\": \"changed\"}",
                        key));
    var publisher =
        new VersionsApi(client(tokenWith(Role.PUBLISHER)))
            .publishVersion(name, loraFiles(4, List.of("q_proj"), false, 82), null, key);

    assertThat(other.getType().toString()).endsWith("/idempotency-key-reused");
    assertThat(otherMetadata.getType().toString()).endsWith("/idempotency-key-reused");
    assertThat(publisher.getVersion()).isEqualTo(2);
    problem(
        400,
        () ->
            versions()
                .publishVersion(
                    name,
                    loraFiles(4, List.of("q_proj"), false, 84),
                    null,
                    Map.of("Idempotency-Key", "x".repeat(256))));
  }

  @Test
  void jsonCreationsReplayToo() throws Exception {
    ensureBaseModel();
    String adapter = "idem-" + unique();
    var key = Map.of("Idempotency-Key", UUID.randomUUID().toString());
    var request =
        new CreateAdapterRequest().name(adapter).baseModel(BASE).labels(Map.of("a", "1", "b", "2"));

    var created = adapters().createAdapterWithHttpInfo(request, key);
    var again =
        adapters()
            .createAdapterWithHttpInfo(
                new CreateAdapterRequest()
                    .name(adapter)
                    .baseModel(BASE)
                    .labels(Map.of("b", "2", "a", "1")),
                key);
    String a = newAdapter();
    String b = newAdapter();
    versions().publishVersion(a, loraFiles(4, MixLoraTest.FFN, false, 85), null);
    versions().publishVersion(b, loraFiles(4, MixLoraTest.FFN, false, 86), null);
    var compose =
        new ComposeRequest().compose(new Compose().experts(List.of(a + "@1", b + "@1")).topK(1));
    var composed = versions().composeVersionWithHttpInfo(adapter, compose, key);
    var recomposed = versions().composeVersionWithHttpInfo(adapter, compose, key);

    assertThat(created.getStatusCode()).isEqualTo(201);
    assertThat(again.getStatusCode()).isEqualTo(201);
    assertThat(again.getHeaders().get("idempotent-replayed")).containsExactly("true");
    assertThat(again.getData()).isEqualTo(created.getData());
    assertThat(composed.getHeaders()).doesNotContainKey("idempotent-replayed");
    assertThat(recomposed.getHeaders().get("idempotent-replayed")).containsExactly("true");
    assertThat(recomposed.getData()).isEqualTo(composed.getData());
    assertThat(versions().listVersions(adapter, null, null, null).getItems()).hasSize(1);
  }

  @Test
  void concurrentRequestsWithOneKeyCreateOneVersion() throws Exception {
    String name = newAdapter();
    var files = loraFiles(4, List.of("q_proj", "v_proj"), false, 87);
    var key = Map.of("Idempotency-Key", UUID.randomUUID().toString());
    var calls = new ArrayList<Callable<Integer>>();
    for (int i = 0; i < 6; i++) {
      calls.add(
          () -> {
            try {
              return versions().publishVersionWithHttpInfo(name, files, null, key).getStatusCode();
            } catch (io.adapterplatform.api.registry.invoker.ApiException e) {
              return e.getCode();
            }
          });
    }

    List<Integer> statuses = new ArrayList<>();
    try (var pool = Executors.newFixedThreadPool(6)) {
      for (var f : pool.invokeAll(calls)) {
        statuses.add(f.get());
      }
    }

    // a request that comes after the first one finished replays its 201; one that overlaps it gets
    // 409: which of the two each got depends on timing, so only the set of answers is checked
    assertThat(statuses).contains(201).allMatch(s -> s == 201 || s == 409);
    assertThat(versions().listVersions(name, null, null, null).getItems()).hasSize(1);
    var retry = versions().publishVersionWithHttpInfo(name, files, null, key);
    assertThat(retry.getHeaders().get("idempotent-replayed")).containsExactly("true");
    assertThat(retry.getData().getVersion()).isEqualTo(1);
  }

  /**
   * The answer lives in PostgreSQL: a second application context on the same backends replays it.
   */
  @Test
  void replaysAfterARestart() throws Exception {
    String name = newAdapter();
    var files = loraFiles(4, List.of("q_proj"), false, 88);
    var key = Map.of("Idempotency-Key", UUID.randomUUID().toString());
    var first = versions().publishVersionWithHttpInfo(name, files, null, key);

    ApiResponse<AdapterVersion> retry;
    try (var restarted =
        new SpringApplicationBuilder(RegistryApplication.class)
            .initializers(new BackendsInitializer())
            .properties(
                "spring.config.name=application,registry",
                "platform.auth.admin-token=" + ADMIN,
                "server.port=0")
            .run()) {
      int restartedPort = ((WebServerApplicationContext) restarted).getWebServer().getPort();
      var restartedClient = client(ADMIN);
      restartedClient.updateBaseUri("http://localhost:" + restartedPort);
      retry = new VersionsApi(restartedClient).publishVersionWithHttpInfo(name, files, null, key);
    }

    assertThat(retry.getStatusCode()).isEqualTo(201);
    assertThat(retry.getHeaders().get("idempotent-replayed")).containsExactly("true");
    assertThat(retry.getData()).isEqualTo(first.getData());
    assertThat(versions().listVersions(name, null, null, null).getItems()).hasSize(1);
  }
}
