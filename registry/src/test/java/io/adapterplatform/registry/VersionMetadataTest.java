package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.model.AdapterVersion;
import io.adapterplatform.api.registry.model.Compose;
import io.adapterplatform.api.registry.model.ComposeRequest;
import io.adapterplatform.api.registry.model.Lineage;
import io.adapterplatform.api.registry.model.LineageDataset;
import io.adapterplatform.api.registry.model.VersionPatch;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VersionMetadataTest extends RegistryTestBase {

  private static final String SHA = "ab".repeat(32);
  private static final String METADATA =
      """
      {"description": "summaries of support tickets", "tags": {"team": "search", "stage": "candidate"},
       "lineage": {"job": "job-42", "dataset": {"name": "tickets", "version": 3, "sha256": "%s"},
                   "baseModel": {"name": "tiny-llama", "sha256": "%s"},
                   "hyperparameters": {"lr": 0.0002, "epochs": 3, "schedule": {"warmup": 10}},
                   "metrics": {"eval_loss": 1.25}}}"""
          .formatted(SHA, SHA);

  @Test
  void publishKeepsDescriptionTagsAndLineageAndShowsThemInEveryView() throws Exception {
    String name = newAdapter();

    var published =
        versions().publishVersion(name, loraFiles(4, List.of("q_proj"), false, 1), METADATA);

    for (AdapterVersion v :
        List.of(
            published,
            versions().getVersion(name, "1"),
            versions().listVersions(name, null, null, null).getItems().getFirst())) {
      assertThat(v.getDescription()).isEqualTo("summaries of support tickets");
      assertThat(v.getTags())
          .containsExactlyInAnyOrderEntriesOf(Map.of("team", "search", "stage", "candidate"));
      assertThat(v.getLineage().getJob()).isEqualTo("job-42");
      assertThat(v.getLineage().getDataset())
          .isEqualTo(new LineageDataset().name("tickets").version(3).sha256(SHA));
      assertThat(v.getLineage().getBaseModel().getName()).isEqualTo("tiny-llama");
      assertThat(v.getLineage().getHyperparameters())
          .containsEntry("epochs", 3)
          .containsKey("schedule");
      assertThat(v.getLineage().getMetrics()).containsEntry("eval_loss", 1.25);
    }
  }

  @Test
  void aVersionWithoutMetadataHasNoTagsAndNoLineage() throws Exception {
    String name = newAdapter();

    var v = publishLora(name, 2);

    assertThat(v.getTags()).isEmpty();
    assertThat(v.getDescription()).isNull();
    assertThat(v.getLineage()).isNull();
  }

  @Test
  void listFiltersByEveryTagGiven() throws Exception {
    String name = newAdapter();
    versions()
        .publishVersion(
            name,
            loraFiles(4, List.of("q_proj"), false, 3),
            "{\"tags\": {\"team\": \"a\", \"stage\": \"prod\"}}");
    versions()
        .publishVersion(
            name, loraFiles(4, List.of("q_proj"), false, 4), "{\"tags\": {\"team\": \"a\"}}");
    versions()
        .publishVersion(
            name, loraFiles(4, List.of("q_proj"), false, 5), "{\"tags\": {\"team\": \"b:c\"}}");

    assertThat(numbers(name, List.of("team:a"))).containsExactly(1, 2);
    assertThat(numbers(name, List.of("team:a", "stage:prod"))).containsExactly(1);
    assertThat(numbers(name, List.of("team:b:c"))).containsExactly(3);
    assertThat(numbers(name, List.of("team:z"))).isEmpty();
    var page = versions().listVersions(name, 1, null, List.of("team:a"));
    assertThat(page.getItems()).extracting(AdapterVersion::getVersion).containsExactly(1);
    assertThat(versions().listVersions(name, 1, page.getNextCursor(), List.of("team:a")).getItems())
        .extracting(AdapterVersion::getVersion)
        .containsExactly(2);
    problem(400, () -> versions().listVersions(name, null, null, List.of("no-colon")));
  }

  @Test
  void mergePatchChangesDescriptionAndTagsButNeverLineage() throws Exception {
    String name = newAdapter();
    versions().publishVersion(name, loraFiles(4, List.of("q_proj"), false, 6), METADATA);

    var patched =
        versions()
            .updateVersion(
                name,
                "1",
                new VersionPatch()
                    .description("better")
                    .tags(Map.of("stage", "production", "owner", "ana")));
    var removed =
        patch(
            name,
            "1",
            "application/merge-patch+json",
            "{\"tags\": {\"team\": null}, \"description\": null}");
    var asJson = patch(name, "1", "application/json", "{\"tags\": {\"x\": \"y\"}}");
    var lineage =
        patch(name, "1", "application/merge-patch+json", "{\"lineage\": {\"job\": \"other\"}}");

    assertThat(patched.getDescription()).isEqualTo("better");
    assertThat(patched.getTags())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("team", "search", "stage", "production", "owner", "ana"));
    assertThat(removed.statusCode()).as(removed.body()).isEqualTo(200);
    var afterRemoval = admin().getObjectMapper().readValue(removed.body(), AdapterVersion.class);
    assertThat(afterRemoval.getDescription()).isNull();
    assertThat(afterRemoval.getTags()).doesNotContainKey("team").containsEntry("owner", "ana");
    assertThat(asJson.statusCode()).isEqualTo(200);
    assertThat(lineage.statusCode()).isEqualTo(422);
    assertThat(lineage.body()).contains("/lineage-immutable");
    var now = versions().getVersion(name, "1");
    assertThat(now.getLineage().getJob()).isEqualTo("job-42");
    assertThat(now.getTags()).containsEntry("x", "y");
  }

  @Test
  void rejectsMetadataOverItsLimitsWithProblems() throws Exception {
    String name = newAdapter();
    var files = loraFiles(4, List.of("q_proj"), false, 7);
    var manyTags = new StringBuilder("{\"tags\": {");
    for (int i = 0; i < 65; i++) {
      manyTags.append(i == 0 ? "" : ",").append("\"k").append(i).append("\": \"v\"");
    }
    manyTags.append("}}");

    assertThat(
            problem(
                    400,
                    () ->
                        versions().publishVersion(name, files, "{\"tags\": {\"bad key\": \"v\"}}"))
                .getErrors())
        .extracting(e -> e.getField())
        .containsExactly("metadata.tags.bad key");
    problem(400, () -> versions().publishVersion(name, files, manyTags.toString()));
    problem(
        400,
        () ->
            versions()
                .publishVersion(name, files, "{\"tags\": {\"k\": \"" + "v".repeat(257) + "\"}}"));
    problem(400, () -> versions().publishVersion(name, files, "{\"descripton\": \"typo\"}"));
    problem(
        400,
        () ->
            versions()
                .publishVersion(
                    name,
                    files,
                    "{\"lineage\": {\"dataset\": {\"name\": \"d\", \"sha256\": \"xyz\"}}}"));
    problem(400, () -> versions().publishVersion(name, files, "not json"));
    problem(
        400,
        () ->
            versions()
                .publishVersion(name, files, "{\"description\": \"" + "d".repeat(70_000) + "\"}"));
    assertThat(
            patch(name, "1", "application/merge-patch+json", "{\"description\": \"x\"}")
                .statusCode())
        .isEqualTo(404);
    assertThat(versions().listVersions(name, null, null, null).getItems()).isEmpty();
  }

  @Test
  void compositionCarriesTheSameMetadata() throws Exception {
    String a = newAdapter();
    String b = newAdapter();
    versions().publishVersion(a, loraFiles(4, MixLoraTest.FFN, false, 8), null);
    versions().publishVersion(b, loraFiles(4, MixLoraTest.FFN, false, 9), null);
    String mix = newAdapter();

    var v =
        versions()
            .composeVersion(
                mix,
                new ComposeRequest()
                    .compose(new Compose().experts(List.of(a + "@1", b + "@1")).topK(1))
                    .description("two experts")
                    .tags(Map.of("kind", "moe"))
                    .lineage(new Lineage().job("compose-1")));

    assertThat(v.getDescription()).isEqualTo("two experts");
    assertThat(v.getTags()).containsExactlyEntriesOf(Map.of("kind", "moe"));
    assertThat(v.getLineage().getJob()).isEqualTo("compose-1");
    assertThat(versions().listVersions(mix, null, null, List.of("kind:moe")).getItems()).hasSize(1);
  }

  private List<Integer> numbers(String name, List<String> tags) throws Exception {
    return versions().listVersions(name, null, null, tags).getItems().stream()
        .map(AdapterVersion::getVersion)
        .toList();
  }

  private HttpResponse<String> patch(String adapter, String ref, String contentType, String body)
      throws Exception {
    var request =
        HttpRequest.newBuilder(
                URI.create(
                    "http://localhost:"
                        + port
                        + "/api/v1/adapters/"
                        + adapter
                        + "/versions/"
                        + ref))
            .header("Authorization", "Bearer " + ADMIN)
            .header("Content-Type", contentType)
            .method("PATCH", HttpRequest.BodyPublishers.ofString(body))
            .build();
    return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
  }
}
