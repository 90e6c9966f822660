package io.adapterplatform.engine.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ModelConfigTest {

  private static ModelConfig parse(String json) {
    return ModelConfig.parse(json.getBytes(StandardCharsets.UTF_8), "config.json");
  }

  @Test
  void parsesALlamaConfigWithDefaults() {
    ModelConfig c =
        parse(
            """
                {"architectures":["LlamaForCausalLM"],"model_type":"llama","hidden_size":64,
                 "intermediate_size":176,"num_hidden_layers":3,"num_attention_heads":8,"vocab_size":100,
                 "torch_dtype":"bfloat16"}""");

    assertThat(c.numKeyValueHeads()).isEqualTo(8);
    assertThat(c.headDim()).isEqualTo(8);
    assertThat(c.ropeTheta()).isEqualTo(10000.0);
    assertThat(c.rmsNormEps()).isEqualTo(1e-6);
    assertThat(c.tieWordEmbeddings()).isFalse();
    assertThat(c.maxPositionEmbeddings()).isEqualTo(2048);
    assertThat(c.architectures()).containsExactly("LlamaForCausalLM");
  }

  @Test
  void readsRopeThetaFromTransformers5RopeParameters() {
    ModelConfig c =
        parse(
            """
                {"hidden_size":64,"intermediate_size":176,"num_hidden_layers":3,"num_attention_heads":8,
                 "num_key_value_heads":2,"vocab_size":100,"rope_parameters":{"rope_theta":500000.0,"rope_type":"default"}}""");

    assertThat(c.ropeTheta()).isEqualTo(500000.0);
  }

  @Test
  void knowsProjectionShapesWithGroupedQueryAttention() {
    ModelConfig c = Fixtures.tinyModel(); // hidden 16, inter 24, 4 heads × 4, 2 kv heads

    assertThat(c.projectionShape("q_proj")).isEqualTo(new ModelConfig.ProjectionShape(16, 16));
    assertThat(c.projectionShape("k_proj")).isEqualTo(new ModelConfig.ProjectionShape(16, 8));
    assertThat(c.projectionShape("v_proj")).isEqualTo(new ModelConfig.ProjectionShape(16, 8));
    assertThat(c.projectionShape("o_proj")).isEqualTo(new ModelConfig.ProjectionShape(16, 16));
    assertThat(c.projectionShape("gate_proj")).isEqualTo(new ModelConfig.ProjectionShape(16, 24));
    assertThat(c.projectionShape("up_proj")).isEqualTo(new ModelConfig.ProjectionShape(16, 24));
    assertThat(c.projectionShape("down_proj")).isEqualTo(new ModelConfig.ProjectionShape(24, 16));
    assertThat(c.isAttention("o_proj")).isTrue();
    assertThat(c.isMlp("down_proj")).isTrue();
    assertThatThrownBy(() -> c.projectionShape("lm_head"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void roundTripsThroughJson() {
    ModelConfig c = Fixtures.tinyModel();

    assertThat(ModelConfig.parse(c.toJson(), "config.json")).isEqualTo(c);
  }

  @Test
  void reportsEveryInvalidValue() {
    assertThatThrownBy(
            () ->
                parse(
                    """
                {"hidden_size":64,"intermediate_size":0,"num_hidden_layers":3,"num_attention_heads":6,
                 "num_key_value_heads":4,"vocab_size":100,"hidden_act":"gelu"}"""))
        .isInstanceOfSatisfying(
            FormatException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(FormatException.Reason.INCONSISTENT);
              assertThat(e.problems())
                  .anyMatch(m -> m.contains("intermediate_size must be positive"))
                  .anyMatch(
                      m -> m.contains("hidden_size 64 is not divisible by num_attention_heads 6"))
                  .anyMatch(m -> m.contains("not divisible by num_key_value_heads 4"))
                  .anyMatch(m -> m.contains("hidden_act 'gelu'"));
            });
  }

  @Test
  void boundsDimensionsFarBeyondRealModels() {
    assertThatThrownBy(
            () ->
                parse(
                    """
                {"hidden_size":65536,"intermediate_size":176,"num_hidden_layers":2000000000,"num_attention_heads":8,
                 "head_dim":65536,"vocab_size":100}"""))
        .hasMessageContaining("num_hidden_layers 2000000000 is more than the 1024 supported")
        .hasMessageContaining("head_dim 65536 is more than the 4096 supported");
  }

  @Test
  void rejectsMissingFieldsAndWrongTypesAsMalformed() {
    assertThatThrownBy(() -> parse("{\"hidden_size\":\"64\"}"))
        .isInstanceOfSatisfying(
            FormatException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(FormatException.Reason.MALFORMED);
              assertThat(e.getMessage())
                  .startsWith("config.json: ")
                  .contains("'hidden_size' must be an integer")
                  .contains("'num_hidden_layers' is missing");
            });
  }

  @Test
  void rejectsAConfigAboveTheSizeBound() {
    byte[] huge =
        ("{\"pad\":\"" + "x".repeat(ModelConfig.MAX_BYTES) + "\"}")
            .getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> ModelConfig.parse(huge, "config.json"))
        .isInstanceOfSatisfying(
            FormatException.class,
            e -> assertThat(e.reason()).isEqualTo(FormatException.Reason.TOO_LARGE))
        .hasMessageContaining("more than the limit of 1048576");
  }

  @Test
  void rejectsRopeScalingAndBiases() {
    assertThatThrownBy(
            () ->
                parse(
                    """
                {"hidden_size":64,"intermediate_size":176,"num_hidden_layers":3,"num_attention_heads":8,
                 "vocab_size":100,"rope_scaling":{"rope_type":"llama3"},"attention_bias":true,
                 "use_sliding_window":true}"""))
        .hasMessageContaining("rope_scaling is not supported")
        .hasMessageContaining("biases")
        .hasMessageContaining("use_sliding_window");
    ModelConfig mistral =
        parse(
            """
                {"model_type":"mistral","hidden_size":64,"intermediate_size":176,"num_hidden_layers":3,
                 "num_attention_heads":8,"num_key_value_heads":2,"vocab_size":100,"sliding_window":4096,
                 "rope_scaling":null,"use_sliding_window":false}""");
    assertThat(mistral.modelType()).isEqualTo("mistral");
  }
}
