package io.adapterplatform.engine.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelWeightsTest {

  @TempDir Path dir;

  private final ModelConfig model = Fixtures.tinyModel();
  private final Random rng = new Random(5);

  private Map<String, float[]> baseTensors(ModelConfig c) {
    Map<String, float[]> m = new LinkedHashMap<>();
    BaseModelLayout.expectedShapes(c)
        .forEach((n, s) -> m.put(n, Fixtures.random(rng, TensorInfo.elementCount(s))));
    return m;
  }

  private static SafetensorsWriter writer(
      ModelConfig c, Map<String, float[]> tensors, DType dtype) {
    SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
    Map<String, long[]> shapes = BaseModelLayout.expectedShapes(c);
    tensors.forEach((n, v) -> w.addFloats(n, dtype, shapes.get(n), v));
    return w;
  }

  @Test
  void opensASingleFileCheckpointAndValidatesItsLayout() {
    Map<String, float[]> tensors = baseTensors(model);
    writer(model, tensors, DType.F32).writeTo(dir.resolve("model.safetensors"));

    try (ModelWeights w = ModelWeights.open(dir)) {
      BaseModelLayout layout = BaseModelLayout.validate(model, w.headers());

      assertThat(layout.tensors()).hasSize(2 + 2 * 9 + 1);
      assertThat(layout.tensors().get(BaseModelLayout.projectionWeight(1, Projection.K)).shape())
          .containsExactly(8, 16);
      tensors.forEach((n, v) -> assertThat(w.readFloats(n)).isEqualTo(v));
    }
  }

  @Test
  void opensAShardedCheckpointThroughItsIndex() throws Exception {
    Map<String, float[]> tensors = baseTensors(model);
    Map<String, long[]> shapes = BaseModelLayout.expectedShapes(model);
    SafetensorsWriter a = new SafetensorsWriter();
    SafetensorsWriter b = new SafetensorsWriter();
    StringBuilder map = new StringBuilder();
    int i = 0;
    for (Map.Entry<String, float[]> e : tensors.entrySet()) {
      boolean first = i++ % 2 == 0;
      (first ? a : b).addFloats(e.getKey(), DType.BF16, shapes.get(e.getKey()), e.getValue());
      map.append(map.isEmpty() ? "" : ",")
          .append('"')
          .append(e.getKey())
          .append("\":\"")
          .append(first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors")
          .append('"');
    }
    a.writeTo(dir.resolve("model-00001-of-00002.safetensors"));
    b.writeTo(dir.resolve("model-00002-of-00002.safetensors"));
    Files.writeString(
        dir.resolve(ModelWeightsIndex.FILE_NAME),
        "{\"metadata\":{\"total_size\":1},\"weight_map\":{" + map + "}}");

    try (ModelWeights w = ModelWeights.open(dir)) {
      assertThat(w.headers()).hasSize(2);
      BaseModelLayout.validate(model, w.headers());
      String embed = BaseModelLayout.EMBED_TOKENS;
      assertThat(w.readFloats(embed)[3])
          .isEqualTo(
              FloatConversions.bf16ToFloat(FloatConversions.floatToBf16(tensors.get(embed)[3])));
      assertThat(w.names()).hasSize(tensors.size());
    }
  }

  @Test
  void rejectsAnIndexThatDisagreesWithItsShards() throws Exception {
    SafetensorsWriter a =
        new SafetensorsWriter()
            .addFloats("x", DType.F32, new long[] {1}, new float[1])
            .addFloats("y", DType.F32, new long[] {1}, new float[1]);
    a.writeTo(dir.resolve("a.safetensors"));
    new SafetensorsWriter()
        .addFloats("z", DType.F32, new long[] {1}, new float[1])
        .writeTo(dir.resolve("b.safetensors"));
    Files.writeString(
        dir.resolve(ModelWeightsIndex.FILE_NAME),
        "{\"weight_map\":{\"x\":\"a.safetensors\",\"z\":\"a.safetensors\",\"w\":\"b.safetensors\"}}");

    assertThatThrownBy(() -> ModelWeights.open(dir))
        .isInstanceOfSatisfying(
            FormatException.class,
            e -> {
              assertThat(e.file()).isEqualTo(ModelWeightsIndex.FILE_NAME);
              assertThat(e.problems())
                  .contains(
                      "tensor 'y' of a.safetensors is not in weight_map",
                      "tensor 'z' is in b.safetensors but weight_map says a.safetensors",
                      "weight_map puts tensor 'w' in b.safetensors, which does not hold it");
            });
  }

  @Test
  void validatesAnIndexAgainstShardHeadersReadFromStreams() {
    SafetensorsHeader a =
        new SafetensorsWriter()
            .addFloats("x", DType.F32, new long[] {1}, new float[1])
            .header("a.safetensors");
    SafetensorsHeader c =
        new SafetensorsWriter()
            .addFloats("q", DType.F32, new long[] {1}, new float[1])
            .header("c.safetensors");
    ModelWeightsIndex idx =
        ModelWeightsIndex.parse(
            "{\"weight_map\":{\"x\":\"a.safetensors\",\"y\":\"b.safetensors\"}}"
                .getBytes(StandardCharsets.UTF_8),
            ModelWeightsIndex.FILE_NAME);

    idx.validate(
        Map.of(
            "a.safetensors",
            a,
            "b.safetensors",
            new SafetensorsWriter()
                .addFloats("y", DType.F32, new long[] {1}, new float[1])
                .header("b")));
    assertThatThrownBy(() -> idx.validate(Map.of("a.safetensors", a, "c.safetensors", c)))
        .isInstanceOfSatisfying(
            FormatException.class,
            e ->
                assertThat(e.problems())
                    .containsExactly(
                        "weight_map names b.safetensors, which is missing",
                        "c.safetensors is not named in weight_map"));
  }

  @Test
  void rejectsShardNamesOutsideTheDirectory() {
    assertThatThrownBy(
            () ->
                ModelWeightsIndex.parse(
                    "{\"weight_map\":{\"x\":\"../../etc/passwd.safetensors\",\"y\":\"a.bin\"}}"
                        .getBytes(StandardCharsets.UTF_8),
                    "model.safetensors.index.json"))
        .isInstanceOfSatisfying(FormatException.class, e -> assertThat(e.problems()).hasSize(2))
        .hasMessageContaining("not a plain *.safetensors file name");
  }

  @Test
  void rejectsADirectoryWithoutWeights() {
    assertThatThrownBy(() -> ModelWeights.open(dir))
        .isInstanceOf(FormatException.class)
        .hasMessageContaining("has neither model.safetensors nor model.safetensors.index.json");
  }

  @Test
  void rejectsMissingMisshapenAndExtraBaseTensors() {
    Map<String, float[]> tensors = baseTensors(model);
    tensors.remove(BaseModelLayout.postAttentionNorm(1));
    SafetensorsWriter w =
        writer(model, tensors, DType.F16)
            .addFloats(
                "model.layers.0.self_attn.q_proj.bias", DType.F16, new long[] {16}, new float[16])
            .addFloats(
                "model.layers.0.self_attn.rotary_emb.inv_freq",
                DType.F32,
                new long[] {2},
                new float[2]);
    ModelConfig wider =
        new ModelConfig("llama", List.of(), 16, 32, 2, 4, 2, 4, 1e-6, 1e4, false, 32, 64);

    assertThatThrownBy(() -> BaseModelLayout.validate(wider, w.header("model.safetensors")))
        .isInstanceOfSatisfying(
            FormatException.class,
            e ->
                assertThat(e.problems())
                    .contains("missing tensor 'model.layers.1.post_attention_layernorm.weight'")
                    .anyMatch(
                        m ->
                            m.startsWith(
                                "unexpected tensor 'model.layers.0.self_attn.q_proj.bias'"))
                    .contains(
                        "tensor 'model.layers.0.mlp.gate_proj.weight' has shape [24, 16] but config.json "
                            + "implies [32, 16]")
                    .noneMatch(m -> m.contains("inv_freq")));
  }

  @Test
  void tiedEmbeddingsNeedNoLmHead() {
    ModelConfig tied =
        new ModelConfig("llama", List.of(), 16, 24, 1, 4, 4, 4, 1e-5, 1e4, true, 32, 64);
    Map<String, float[]> tensors = baseTensors(tied);

    BaseModelLayout layout =
        BaseModelLayout.validate(tied, writer(tied, tensors, DType.F32).header("m"));

    assertThat(layout.tensors()).doesNotContainKey(BaseModelLayout.LM_HEAD);
  }
}
