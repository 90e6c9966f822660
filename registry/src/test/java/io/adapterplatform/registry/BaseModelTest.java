package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.client.BaseModelsApi;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class BaseModelTest extends RegistryTestBase {

  @Test
  void storesAModelDirectoryAndReportsItsFilesAndArchitecture() throws Exception {
    var d = dir();
    byte[] weights = Fixtures.modelWeights(7);
    String name = "bm-" + unique();

    var model =
        new BaseModelsApi(admin())
            .uploadBaseModel(
                name,
                List.of(
                    Fixtures.write(d, "config.json", Fixtures.modelConfig()).toFile(),
                    Fixtures.write(d, "model.safetensors", weights).toFile(),
                    Fixtures.write(d, "tokenizer_config.json", "{}").toFile()));

    assertThat(model.getName()).isEqualTo(name);
    assertThat(model.getArchitecture().getHiddenSize()).isEqualTo(Fixtures.HIDDEN);
    assertThat(model.getArchitecture().getNumLayers()).isEqualTo(Fixtures.LAYERS);
    assertThat(model.getArchitecture().getNumHeads()).isEqualTo(Fixtures.HEADS);
    assertThat(model.getArchitecture().getNumKvHeads()).isEqualTo(Fixtures.KV_HEADS);
    assertThat(model.getArchitecture().getIntermediateSize()).isEqualTo(Fixtures.INTERMEDIATE);
    assertThat(model.getArchitecture().getVocabSize()).isEqualTo(Fixtures.VOCAB);
    assertThat(model.getFiles())
        .anySatisfy(
            f -> {
              assertThat(f.getName()).isEqualTo("model.safetensors");
              assertThat(f.getSize()).isEqualTo(weights.length);
              assertThat(f.getSha256()).isEqualTo(sha256(weights));
            });
    assertThat(new BaseModelsApi(admin()).getBaseModel(name).getFiles()).hasSize(3);
    var downloaded =
        new BaseModelsApi(admin()).downloadBaseModelFile(name, "model.safetensors", null, null);
    assertThat(Files.readAllBytes(downloaded.toPath())).isEqualTo(weights);
  }

  @Test
  void rejectsADuplicateNameWith409() throws Exception {
    ensureBaseModel();
    var d = dir();

    problem(
        409,
        () ->
            new BaseModelsApi(admin())
                .uploadBaseModel(
                    BASE,
                    List.of(
                        Fixtures.write(d, "config.json", Fixtures.modelConfig()).toFile(),
                        Fixtures.write(d, "model.safetensors", Fixtures.modelWeights(1))
                            .toFile())));
  }

  @Test
  void rejectsBadNamesMissingConfigAndMalformedFiles() throws Exception {
    var d = dir();
    var config = Fixtures.write(d, "config.json", Fixtures.modelConfig()).toFile();
    var weights = Fixtures.write(d, "model.safetensors", Fixtures.modelWeights(2)).toFile();
    var api = new BaseModelsApi(admin());

    var p = problem(400, () -> api.uploadBaseModel("Not_Valid", List.of(config, weights)));
    assertThat(p.getErrors()).anySatisfy(e -> assertThat(e.getField()).isEqualTo("name"));
    problem(400, () -> api.uploadBaseModel("bm-" + unique(), List.of(weights)));
    var bad = dir();
    var garbage =
        Fixtures.write(
                bad, "model.safetensors", "not a safetensors file".getBytes(StandardCharsets.UTF_8))
            .toFile();
    problem(400, () -> api.uploadBaseModel("bm-" + unique(), List.of(config, garbage)));
    var badJson = Fixtures.write(dir(), "config.json", "{ not json").toFile();
    problem(400, () -> api.uploadBaseModel("bm-" + unique(), List.of(badJson, weights)));
    problem(404, () -> api.getBaseModel("no-such-model"));
  }

  @Test
  void rejectsWeightsThatDisagreeWithTheConfigWith422() throws Exception {
    var d = dir();
    var config =
        Fixtures.write(
                d,
                "config.json",
                Fixtures.modelConfig()
                    .replace("\"hidden_size\": 8", "\"hidden_size\": 16")
                    .replace("\"num_attention_heads\": 2", "\"num_attention_heads\": 4"))
            .toFile();
    var weights = Fixtures.write(d, "model.safetensors", Fixtures.modelWeights(3)).toFile();

    problem(
        422,
        () ->
            new BaseModelsApi(admin()).uploadBaseModel("bm-" + unique(), List.of(config, weights)));
  }

  @Test
  void rejectsAnOversizedSafetensorsHeaderWith413() throws Exception {
    var d = dir();
    var config = Fixtures.write(d, "config.json", Fixtures.modelConfig()).toFile();
    byte[] huge = new byte[16];
    java.nio.ByteBuffer.wrap(huge).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(200L << 20);
    var weights = Fixtures.write(d, "model.safetensors", huge).toFile();

    problem(
        413,
        () ->
            new BaseModelsApi(admin()).uploadBaseModel("bm-" + unique(), List.of(config, weights)));
  }

  static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  @Test
  void checksAShardedModelsIndexAsTheEngineDoes() throws Exception {
    var first = new java.util.LinkedHashMap<String, long[]>();
    var second = new java.util.LinkedHashMap<String, long[]>();
    Fixtures.modelTensors()
        .forEach(
            (t, shape) ->
                (t.startsWith("model.layers.1.")
                            || t.startsWith("model.norm")
                            || t.startsWith("lm_head")
                        ? second
                        : first)
                    .put(t, shape));
    var d = dir();
    var config = Fixtures.write(d, "config.json", Fixtures.modelConfig()).toFile();
    var shard1 =
        Fixtures.write(d, "model-00001-of-00002.safetensors", Fixtures.safetensors(first, 11))
            .toFile();
    var shard2 =
        Fixtures.write(d, "model-00002-of-00002.safetensors", Fixtures.safetensors(second, 12))
            .toFile();
    var map = new java.util.TreeMap<String, String>();
    first.keySet().forEach(t -> map.put(t, shard1.getName()));
    second.keySet().forEach(t -> map.put(t, shard2.getName()));
    var api = new BaseModelsApi(admin());

    // The complete index is accepted (the control), ...
    var good =
        Fixtures.write(
            d,
            "model.safetensors.index.json",
            JSON.writeValueAsString(java.util.Map.of("weight_map", map)));
    assertThat(
            api.uploadBaseModel("bm-" + unique(), List.of(config, shard1, shard2, good.toFile()))
                .getFiles())
        .hasSize(4);

    // ... one that omits a tensor a shard holds is refused, as the engine would refuse to load it.
    map.remove("model.embed_tokens.weight");
    var bad = dir();
    var index =
        Fixtures.write(
            bad,
            "model.safetensors.index.json",
            JSON.writeValueAsString(java.util.Map.of("weight_map", map)));
    String name = "bm-" + unique();
    var p =
        problem(
            422, () -> api.uploadBaseModel(name, List.of(config, shard1, shard2, index.toFile())));
    assertThat(p.getErrors())
        .anySatisfy(
            e -> {
              assertThat(e.getField()).isEqualTo("model.safetensors.index.json");
              assertThat(e.getMessage())
                  .contains("model.embed_tokens.weight")
                  .contains(shard1.getName());
            });
    problem(404, () -> api.getBaseModel(name));
  }
}
