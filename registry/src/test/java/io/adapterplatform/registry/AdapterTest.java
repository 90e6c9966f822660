package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.model.Adapter;
import io.adapterplatform.api.registry.model.AdapterKind;
import io.adapterplatform.api.registry.model.CreateAdapterRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdapterTest extends RegistryTestBase {

  @Test
  void createsAnAdapterAndRejectsADuplicateName() throws Exception {
    ensureBaseModel();
    String name = "ad-" + unique();

    var created =
        adapters()
            .createAdapter(
                new CreateAdapterRequest()
                    .name(name)
                    .baseModel(BASE)
                    .description("summaries")
                    .labels(Map.of("team", "nlp")));

    assertThat(created.getName()).isEqualTo(name);
    assertThat(created.getBaseModel()).isEqualTo(BASE);
    assertThat(created.getLabels()).containsEntry("team", "nlp");
    assertThat(created.getLatestVersion()).isNull();
    assertThat(adapters().getAdapter(name).getDescription()).isEqualTo("summaries");
    var p =
        problem(
            409,
            () -> adapters().createAdapter(new CreateAdapterRequest().name(name).baseModel(BASE)));
    assertThat(p.getType().toString()).endsWith("/already-exists");
  }

  @Test
  void rejectsBadNamesAndUnknownBaseModels() throws Exception {
    ensureBaseModel();

    for (String bad : List.of("", "Upper", "-lead", "a b", "x".repeat(129), "ümlaut")) {
      problem(
          400,
          () -> adapters().createAdapter(new CreateAdapterRequest().name(bad).baseModel(BASE)));
    }
    var p =
        problem(
            422,
            () ->
                adapters()
                    .createAdapter(
                        new CreateAdapterRequest().name("ok-" + unique()).baseModel("nope")));
    assertThat(p.getErrors()).anySatisfy(e -> assertThat(e.getField()).isEqualTo("baseModel"));
    problem(404, () -> adapters().getAdapter("does-not-exist"));
    problem(400, () -> adapters().getAdapter("Bad Name"));
  }

  @Test
  void acceptsLabelsAsAListOfKeyValueStringsAndRejectsOtherShapes() throws Exception {
    ensureBaseModel();
    String name = "lab-" + unique();
    var http = java.net.http.HttpClient.newHttpClient();

    var created =
        http.send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://localhost:" + port + "/api/v1/adapters"))
                .header("Authorization", "Bearer " + ADMIN)
                .header("Content-Type", "application/json")
                .POST(
                    java.net.http.HttpRequest.BodyPublishers.ofString(
                        "{\"name\": \""
                            + name
                            + "\", \"baseModel\": \""
                            + BASE
                            + "\", \"labels\": [\"team=nlp\", \"beta\"]}"))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    var bad =
        http.send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://localhost:" + port + "/api/v1/adapters"))
                .header("Authorization", "Bearer " + ADMIN)
                .header("Content-Type", "application/json")
                .POST(
                    java.net.http.HttpRequest.BodyPublishers.ofString(
                        "{\"name\": \"x"
                            + name
                            + "\", \"baseModel\": \""
                            + BASE
                            + "\", \"labels\": 7}"))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());

    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    assertThat(adapters().getAdapter(name).getLabels())
        .containsEntry("team", "nlp")
        .containsEntry("beta", "");
    assertThat(adapters().listAdapters(10, null, null, null, "beta").getItems())
        .extracting(Adapter::getName)
        .contains(name);
    assertThat(bad.statusCode()).isEqualTo(400);
  }

  @Test
  void pagesWithACursorThatIsStableUnderInserts() throws Exception {
    ensureBaseModel();
    String label = "page-" + unique();
    for (int i = 0; i < 5; i++) {
      adapters()
          .createAdapter(
              new CreateAdapterRequest()
                  .name(label + "-b" + i)
                  .baseModel(BASE)
                  .labels(Map.of("set", label)));
    }

    var first = adapters().listAdapters(2, null, null, null, "set=" + label);
    // An adapter inserted before the cursor position must not shift what comes next.
    adapters()
        .createAdapter(
            new CreateAdapterRequest()
                .name(label + "-a0")
                .baseModel(BASE)
                .labels(Map.of("set", label)));
    var seen = new ArrayList<String>(first.getItems().stream().map(Adapter::getName).toList());
    String cursor = first.getNextCursor();
    while (cursor != null) {
      var page = adapters().listAdapters(2, cursor, null, null, "set=" + label);
      page.getItems().forEach(a -> seen.add(a.getName()));
      cursor = page.getNextCursor();
    }

    assertThat(seen)
        .containsExactly(label + "-b0", label + "-b1", label + "-b2", label + "-b3", label + "-b4");
    problem(400, () -> adapters().listAdapters(0, null, null, null, null));
    problem(400, () -> adapters().listAdapters(501, null, null, null, null));
    problem(400, () -> adapters().listAdapters(10, "garbage!", null, null, null));
  }

  @Test
  void filtersByBaseModelKindAndLabel() throws Exception {
    String withLora = newAdapter();
    publishLora(withLora, 1);
    String label = "f-" + unique();
    adapters()
        .createAdapter(
            new CreateAdapterRequest().name(label).baseModel(BASE).labels(Map.of("owner", label)));

    var lora =
        adapters().listAdapters(500, null, BASE, AdapterKind.LORA, null).getItems().stream()
            .map(Adapter::getName)
            .toList();
    var labelled = adapters().listAdapters(500, null, null, null, "owner=" + label).getItems();
    var byKey =
        adapters().listAdapters(500, null, null, null, "owner").getItems().stream()
            .map(Adapter::getName)
            .toList();

    assertThat(lora).contains(withLora).doesNotContain(label);
    assertThat(labelled).extracting(Adapter::getName).containsExactly(label);
    assertThat(byKey).contains(label);
    assertThat(adapters().listAdapters(10, null, "other-model", null, null).getItems()).isEmpty();
  }
}
