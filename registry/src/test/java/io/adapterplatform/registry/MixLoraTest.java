package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.model.AdapterKind;
import io.adapterplatform.api.registry.model.AdapterVersion;
import io.adapterplatform.api.registry.model.MoveAliasRequest;
import io.adapterplatform.engine.format.SafetensorsHeader;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MixLoraTest extends RegistryTestBase {

  static final List<String> FFN = List.of("gate_proj", "up_proj", "down_proj");
  static final List<String> ATTN = List.of("q_proj", "v_proj");

  static List<File> mixloraFiles(int experts, int topK, int skipExpert) {
    Path d = dir();
    var targets = List.of("q_proj", "v_proj", "gate_proj", "up_proj", "down_proj");
    return List.of(
        Fixtures.write(d, "adapter_config.json", Fixtures.mixloraConfig(4, experts, topK, targets))
            .toFile(),
        Fixtures.write(
                d,
                "adapter_model.safetensors",
                Fixtures.mixloraWeights(4, experts, targets, skipExpert, 3))
            .toFile());
  }

  @Test
  void storesTheReferenceLayoutAndListsItsExperts() throws Exception {
    String name = newAdapter();

    var v = versions().publishVersion(name, mixloraFiles(4, 2, -1), null);
    var experts = versions().listExperts(name, "1");

    assertThat(v.getKind()).isEqualTo(AdapterKind.MIXLORA);
    assertThat(v.getNumExperts()).isEqualTo(4);
    assertThat(v.getTopK()).isEqualTo(2);
    assertThat(experts.getNumExperts()).isEqualTo(4);
    assertThat(experts.getExperts()).hasSize(4);
    assertThat(experts.getExperts().getFirst().getTensors())
        .extracting(t -> t.getName())
        .contains("mixlora.layers.0.mlp.gate_proj.experts.0.lora_A.weight");
    assertThat(experts.getRouter()).hasSize(Fixtures.LAYERS);
    assertThat(experts.getAttention()).isNotEmpty();
  }

  @Test
  void acceptsAnExpertWithoutALoraOnAListedProjection() throws Exception {
    String name = newAdapter();

    // Expert 3 has no LoRA on any MLP projection of the last layer: it uses the base weights there.
    var v = versions().publishVersion(name, mixloraFiles(4, 2, 3), null);
    var experts = versions().listExperts(name, "1");

    assertThat(v.getKind()).isEqualTo(AdapterKind.MIXLORA);
    assertThat(experts.getExperts()).hasSize(4);
    int full = experts.getExperts().get(0).getTensors().size();
    assertThat(experts.getExperts().get(3).getTensors())
        .hasSize(full * (Fixtures.LAYERS - 1) / Fixtures.LAYERS)
        .extracting(t -> t.getName())
        .noneMatch(n -> n.startsWith("mixlora.layers." + (Fixtures.LAYERS - 1) + "."));
  }

  @Test
  void rejectsHalfAnExpertsPairAndTopKAboveTheExpertCount() throws Exception {
    String name = newAdapter();
    var targets = List.of("q_proj", "v_proj", "gate_proj", "up_proj", "down_proj");
    Path d = dir();
    var halfPair =
        List.of(
            Fixtures.write(d, "adapter_config.json", Fixtures.mixloraConfig(4, 2, 1, targets))
                .toFile(),
            Fixtures.write(
                    d,
                    "adapter_model.safetensors",
                    Fixtures.mixloraWeights(
                        4,
                        2,
                        targets,
                        -1,
                        3,
                        n -> !n.equals("mixlora.layers.0.mlp.up_proj.experts.1.lora_B.weight")))
                .toFile());

    var half = problem(422, () -> versions().publishVersion(name, halfPair, null));
    assertThat(half.getType().toString()).endsWith("/inconsistent-file");
    assertThat(half.getDetail() + half.getErrors())
        .contains("mixlora.layers.0.mlp.up_proj.experts.1.lora_B.weight");
    var p = problem(422, () -> versions().publishVersion(name, mixloraFiles(2, 3, -1), null));
    assertThat(p.getErrors()).isNotEmpty();
    String lora = newAdapter();
    publishLora(lora, 1);
    problem(409, () -> versions().listExperts(lora, "1"));
  }

  @Test
  void composesFromExistingLoraExpertsWithoutCopyingTheirBytes() throws Exception {
    String a = newAdapter();
    String b = newAdapter();
    String c = newAdapter();
    var aFiles = loraFiles(4, FFN, false, 21);
    versions().publishVersion(a, aFiles, null);
    versions().publishVersion(b, loraFiles(4, FFN, false, 22), null);
    aliases().moveAlias(b, "production", new MoveAliasRequest().version(1));
    versions().publishVersion(c, loraFiles(4, ATTN, false, 23), null);
    String mix = newAdapter();

    var response =
        compose(
            mix,
            Map.of(
                "experts",
                List.of(a + "@1", b + "@production"),
                "topK",
                2,
                "router",
                Map.of("init", "random", "range", 0.02, "seed", 1),
                "attention",
                c + "@1"));

    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    var v = admin().getObjectMapper().readValue(response.body(), AdapterVersion.class);
    assertThat(response.headers().firstValue("Location"))
        .hasValue(
            "http://localhost:" + port + "/api/v1/adapters/" + mix + "/versions/" + v.getVersion());
    assertThat(v.getKind()).isEqualTo(AdapterKind.MIXLORA);
    assertThat(v.getNumExperts()).isEqualTo(2);
    assertThat(v.getComposedFrom())
        .extracting(s -> s.getAdapter() + "@" + s.getVersion())
        .containsExactly(a + "@1", b + "@1");
    var download =
        versions()
            .downloadVersionFileWithHttpInfo(mix, "1", "adapter_model.safetensors", null, null);
    byte[] weights = Files.readAllBytes(download.getData().toPath());
    byte[] again =
        Files.readAllBytes(
            versions()
                .downloadVersionFile(mix, "1", "adapter_model.safetensors", null, null)
                .toPath());
    assertThat(again).isEqualTo(weights);
    String sha =
        v.getFiles().stream()
            .filter(f -> f.getName().equals("adapter_model.safetensors"))
            .findFirst()
            .orElseThrow()
            .getSha256();
    assertThat(BaseModelTest.sha256(weights)).isEqualTo(sha);
    assertThat(download.getHeaders().get("etag").getFirst()).isEqualTo("\"" + sha + "\"");
    // expert 0's tensors are expert a's bytes, unchanged
    byte[] source = Files.readAllBytes(aFiles.get(1).toPath());
    assertThat(tensor(weights, "mixlora.layers.1.mlp.down_proj.experts.0.lora_B.weight"))
        .isEqualTo(tensor(source, "base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"));
    assertThat(versions().listExperts(mix, "1").getExperts())
        .extracting(e -> e.getSource().getAdapter())
        .containsExactly(a, b);
    // the experts are now in use
    problem(409, () -> versions().deleteVersion(a, "1"));
  }

  @Test
  void rejectsBadCompositions() throws Exception {
    String a = newAdapter();
    versions().publishVersion(a, loraFiles(4, FFN, false, 31), null);
    String dora = newAdapter();
    versions().publishVersion(dora, loraFiles(4, FFN, true, 32), null);
    String mix = newAdapter();

    assertThat(compose(mix, Map.of("experts", List.of(a + "@1"), "topK", 2)).statusCode())
        .isEqualTo(422);
    assertThat(
            compose(mix, Map.of("experts", List.of(a + "@1", dora + "@1"), "topK", 1)).statusCode())
        .isEqualTo(422);
    assertThat(compose(mix, Map.of("experts", List.of("no-at-sign"), "topK", 1)).statusCode())
        .isEqualTo(400);
    assertThat(compose(mix, Map.of("experts", List.of(a + "@9"), "topK", 1)).statusCode())
        .isEqualTo(422);
    assertThat(compose(mix, Map.of("experts", List.of(), "topK", 1)).statusCode()).isEqualTo(400);
    assertThat(versions().listVersions(mix, null, null, null).getItems()).isEmpty();
  }

  private HttpResponse<String> compose(String adapter, Map<String, Object> compose)
      throws Exception {
    return compose(ADMIN, adapter, compose);
  }

  private static byte[] tensor(byte[] file, String name) throws Exception {
    var header = SafetensorsHeader.read(new ByteArrayInputStream(file), "x.safetensors");
    var t = header.require(name);
    int start = (int) (header.headerLength() + t.begin());
    return Arrays.copyOfRange(file, start, start + (int) t.byteLength());
  }
}
