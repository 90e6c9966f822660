package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.adapterplatform.api.registry.model.AdapterKind;
import io.adapterplatform.api.registry.model.Compose;
import io.adapterplatform.api.registry.model.ComposeRequest;
import io.adapterplatform.api.registry.model.RouterInit;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code POST .../compositions}, the JSON publish that every generated client can reach. */
class CompositionsTest extends RegistryTestBase {

  @Test
  void composesThroughTheGeneratedClientAndAnswersLikePublish() throws Exception {
    String a = newAdapter();
    String b = newAdapter();
    versions().publishVersion(a, loraFiles(4, MixLoraTest.FFN, false, 61), null);
    versions().publishVersion(b, loraFiles(4, MixLoraTest.FFN, false, 62), null);
    String mix = newAdapter();

    var response =
        versions()
            .composeVersionWithHttpInfo(
                mix,
                new ComposeRequest()
                    .compose(
                        new Compose()
                            .experts(List.of(a + "@1", b + "@1"))
                            .topK(2)
                            .router(new RouterInit().seed(7L))));

    assertThat(response.getStatusCode()).isEqualTo(201);
    var v = response.getData();
    assertThat(response.getHeaders().get("location"))
        .containsExactly(
            "http://localhost:" + port + "/api/v1/adapters/" + mix + "/versions/" + v.getVersion());
    assertThat(v.getKind()).isEqualTo(AdapterKind.MIXLORA);
    assertThat(v.getNumExperts()).isEqualTo(2);
    assertThat(v.getComposedFrom())
        .extracting(s -> s.getAdapter() + "@" + s.getVersion())
        .containsExactly(a + "@1", b + "@1");
    assertThat(versions().getVersion(mix, "1")).isEqualTo(v);
  }

  @Test
  void rejectsABadCompositionWithTheSameProblemsAsBefore() throws Exception {
    String a = newAdapter();
    versions().publishVersion(a, loraFiles(4, MixLoraTest.FFN, false, 63), null);
    String mix = newAdapter();

    problem(
        422,
        () ->
            versions()
                .composeVersion(
                    mix,
                    new ComposeRequest()
                        .compose(new Compose().experts(List.of(a + "@1")).topK(2))));
    problem(
        400,
        () ->
            versions()
                .composeVersion(
                    mix,
                    new ComposeRequest()
                        .compose(new Compose().experts(List.of("no-at-sign")).topK(1))));
    problem(
        404,
        () ->
            versions()
                .composeVersion(
                    "no-such-adapter",
                    new ComposeRequest()
                        .compose(new Compose().experts(List.of(a + "@1")).topK(1))));
    assertThat(versions().listVersions(mix, null, null, null).getItems()).isEmpty();
  }

  /**
   * Generators handle one request media type per operation; hence .../compositions beside
   * .../versions.
   */
  @Test
  void noOperationOfTheContractTakesTwoRequestMediaTypes() throws Exception {
    JsonNode contract;
    try (InputStream in = getClass().getResourceAsStream("/openapi/registry.yaml")) {
      contract = new ObjectMapper(new YAMLFactory()).readTree(in);
    }

    var offenders = new ArrayList<String>();
    contract
        .path("paths")
        .properties()
        .forEach(
            p ->
                p.getValue()
                    .properties()
                    .forEach(
                        op -> {
                          if (op.getValue().path("requestBody").path("content").size() > 1) {
                            offenders.add(op.getKey() + " " + p.getKey());
                          }
                        }));

    assertThat(offenders).isEmpty();
    var publish = new ArrayList<String>();
    contract
        .at("/paths/~1api~1v1~1adapters~1{name}~1versions/post/requestBody/content")
        .fieldNames()
        .forEachRemaining(publish::add);
    assertThat(publish).containsExactly("multipart/form-data");
  }
}
