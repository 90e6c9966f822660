package io.adapterplatform.engine.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdapterConfigTest {

  private static AdapterConfig parse(String json) {
    return AdapterConfig.parse(json.getBytes(StandardCharsets.UTF_8), "adapter_config.json");
  }

  @Test
  void parsesAPeftLoraConfig() {
    AdapterConfig c =
        parse(
            """
                {"peft_type":"LORA","task_type":"CAUSAL_LM","base_model_name_or_path":"tiny","r":8,"lora_alpha":16,
                 "lora_dropout":0.05,"target_modules":["v_proj","q_proj"],"bias":"none","fan_in_fan_out":false,
                 "modules_to_save":null,"use_rslora":false,"use_dora":false,"init_lora_weights":true}""");

    assertThat(c.kind()).isEqualTo(AdapterKind.LORA);
    assertThat(c.targetModules()).containsExactly("v_proj", "q_proj");
    assertThat(c.scaling()).isEqualTo(2.0);
    assertThat(c.baseModelNameOrPath()).isEqualTo("tiny");
  }

  @Test
  void acceptsEveryKeyARecentPeftWrites() {
    AdapterConfig c =
        parse(
            """
                {"alpha_pattern": {}, "auto_mapping": null, "base_model_name_or_path": "tiny", "bias": "none",
                 "corda_config": null, "eva_config": null, "exclude_modules": null, "fan_in_fan_out": false,
                 "inference_mode": true, "init_lora_weights": true, "layer_replication": null,
                 "layers_pattern": null, "layers_to_transform": null, "loftq_config": {}, "lora_alpha": 16,
                 "lora_bias": false, "lora_dropout": 0.05, "megatron_config": null, "megatron_core": "megatron.core",
                 "modules_to_save": null, "peft_type": "LORA", "peft_version": "0.17.1", "qalora_group_size": 16,
                 "r": 8, "rank_pattern": {}, "revision": null, "target_modules": ["v_proj", "q_proj", "down_proj"],
                 "target_parameters": null, "task_type": "CAUSAL_LM", "trainable_token_indices": null,
                 "use_dora": false, "use_qalora": false, "use_rslora": false, "alora_invocation_tokens": null}""");

    assertThat(c.kind()).isEqualTo(AdapterKind.LORA);
    assertThat(c.targetModules()).containsExactly("v_proj", "q_proj", "down_proj");
    assertThatThrownBy(
            () ->
                parse(
                    """
                {"peft_type": "LORA", "r": 8, "lora_alpha": 16, "target_modules": ["q_proj"], "use_qalora": true,
                 "modules_to_save": ["lm_head"], "alora_invocation_tokens": [1, 2]}"""))
        .isInstanceOfSatisfying(FormatException.class, e -> assertThat(e.problems()).hasSize(3));
  }

  @Test
  void acceptsTheConfigTheMixLoraReferenceExports() {
    // What the reference's MixLoraConfig.export() writes: no router coefficients, an expert_lora
    // object.
    AdapterConfig c =
        parse(
            """
                {"bias": "none", "peft_type": "MIXLORA", "task_type": "CAUSAL_LM",
                 "base_model_name_or_path": "tiny", "r": 8, "lora_alpha": 16, "lora_dropout": 0.05,
                 "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "down_proj", "up_proj"],
                 "expert_lora": {"bias": "none", "task_type": "CAUSAL_LM", "base_model_name_or_path": "tiny",
                   "r": 4, "lora_alpha": 8, "lora_dropout": 0.05},
                 "routing_strategy": "mixlora", "num_experts": 8, "act_fn": "silu", "top_k": 2}""");

    assertThat(c.kind()).isEqualTo(AdapterKind.MIXLORA);
    assertThat(c.attentionTargets()).containsExactly("q_proj", "k_proj", "v_proj", "o_proj");
    assertThat(c.ffnTargets()).containsExactly("gate_proj", "down_proj", "up_proj");
    assertThat(c.expertR()).isEqualTo(4);
    assertThat(c.scaling()).isEqualTo(2.0);
    assertThat(c.expertScaling()).isEqualTo(2.0);
    assertThat(c.jitterNoise()).isZero();
    assertThat(c.routerAuxLossCoef()).isEqualTo(0.001);
  }

  @Test
  void scalesByRootRankWithRsLoraAndRecognisesDora() {
    AdapterConfig c =
        parse(
            """
                {"peft_type":"LORA","r":16,"lora_alpha":8,"target_modules":"q_proj","use_rslora":true,"use_dora":true}""");

    assertThat(c.kind()).isEqualTo(AdapterKind.DORA);
    assertThat(c.scaling()).isCloseTo(2.0, within(1e-12));
    assertThat(c.targetModules()).containsExactly("q_proj");
  }

  @Test
  void acceptsAllLinearAndTheMixLoraDictionaryForm() {
    assertThat(
            parse(
                    "{\"peft_type\":\"LORA\",\"r\":1,\"lora_alpha\":1,\"target_modules\":\"all-linear\"}")
                .targetModules())
        .hasSize(7);
    AdapterConfig mix =
        parse(
            """
                {"peft_type":"MIXLORA","routing_strategy":"mixlora","r":4,"lora_alpha":8,"lora_dropout":0.0,
                 "num_experts":8,"top_k":2,"target_modules":{"q_proj":true,"k_proj":false,"up_proj":true,
                 "gate_proj":true,"down_proj":true},"expert_lora":{"r":2,"lora_alpha":4}}""");

    assertThat(mix.kind()).isEqualTo(AdapterKind.MIXLORA);
    assertThat(mix.attentionTargets()).containsExactly("q_proj");
    assertThat(mix.ffnTargets()).containsExactly("up_proj", "gate_proj", "down_proj");
    assertThat(mix.expertR()).isEqualTo(2);
    assertThat(mix.expertScaling()).isEqualTo(2.0);
    assertThat(mix.routerInitRange()).isEqualTo(0.02);
    assertThat(mix.routerAuxLossCoef()).isEqualTo(0.001);
    assertThat(mix.actFn()).isEqualTo("silu");
  }

  @Test
  void roundTripsThroughJson() {
    AdapterConfig lora =
        AdapterConfig.lora("base", 4, 8, List.of("q_proj", "down_proj"), true, true);
    AdapterConfig mix =
        new AdapterConfig(
            "MIXLORA",
            "CAUSAL_LM",
            null,
            4,
            8,
            0.1,
            List.of("o_proj", "up_proj"),
            false,
            false,
            java.util.Optional.of(
                new AdapterConfig.MixLoraSettings(
                    "mixlora", 4, 2, 0.01, 0.02, 0.1, "silu", 2, 3, 0.0, true)));

    assertThat(AdapterConfig.parse(lora.toJson(), "a")).isEqualTo(lora);
    assertThat(AdapterConfig.parse(mix.toJson(), "a")).isEqualTo(mix);
    // The MixLoRA reference asserts an int lora_alpha and float dropout/coefficients.
    String json = new String(mix.toJson(), StandardCharsets.UTF_8);
    assertThat(json)
        .contains("\"lora_alpha\": 8,")
        .contains("\"lora_dropout\": 0.1")
        .contains("\"jitter_noise\": 0.1")
        .contains("\"expert_lora\"");
  }

  @Test
  void rejectsTopKAboveNumExperts() {
    assertThatThrownBy(
            () ->
                parse(
                    """
                {"peft_type":"MIXLORA","routing_strategy":"mixlora","r":4,"lora_alpha":8,"num_experts":2,"top_k":3,
                 "target_modules":["up_proj"]}"""))
        .isInstanceOfSatisfying(
            FormatException.class,
            e -> assertThat(e.reason()).isEqualTo(FormatException.Reason.INCONSISTENT))
        .hasMessageContaining("top_k must be between 1 and num_experts (2), found 3");
  }

  @Test
  void rejectsWhatWeCannotRun() {
    assertThatThrownBy(
            () ->
                parse(
                    """
                {"peft_type":"LORA","r":0,"lora_alpha":8,"target_modules":["q_proj","lm_head"],"bias":"all",
                 "layers_to_transform":[0,1],"rank_pattern":{"q_proj":4}}"""))
        .isInstanceOfSatisfying(
            FormatException.class,
            e ->
                assertThat(e.problems())
                    .anyMatch(m -> m.contains("r must be at least 1"))
                    .anyMatch(
                        m ->
                            m.contains(
                                "target module 'lm_head' is not a linear module of a LLaMA layer"))
                    .anyMatch(m -> m.contains("bias 'all'"))
                    .anyMatch(m -> m.contains("'layers_to_transform' is not supported"))
                    .anyMatch(m -> m.contains("'rank_pattern' is not supported")));
    assertThatThrownBy(
            () ->
                parse(
                    "{\"peft_type\":\"LORA\",\"r\":4,\"lora_alpha\":8,\"target_modules\":\".*q_proj\"}"))
        .hasMessageContaining("regular expression '.*q_proj' is not supported");
    assertThatThrownBy(
            () ->
                parse(
                    """
                {"peft_type":"MIXLORA","routing_strategy":"mixtral","r":4,"lora_alpha":8,"num_experts":2,
                 "target_modules":["up_proj"]}"""))
        .hasMessageContaining("legacy");
    assertThatThrownBy(
            () ->
                parse(
                    """
                {"peft_type":"MIXLORA","routing_strategy":"mixlora","r":4,"lora_alpha":8,"num_experts":2,
                 "act_fn":"gelu","target_modules":["q_proj"]}"""))
        .hasMessageContaining("act_fn 'gelu'")
        .hasMessageContaining("at least one MLP module");
    assertThatThrownBy(
            () ->
                parse(
                    "{\"peft_type\":\"IA3\",\"r\":4,\"lora_alpha\":8,\"target_modules\":[\"q_proj\"]}"))
        .hasMessageContaining("peft_type 'IA3' is not supported");
  }

  @Test
  void rejectsAScalingThatIsNotAPositiveFiniteFp32Number() {
    // α/r = 1.25e307: a double, but infinite as the fp32 the engine scales by
    assertThatThrownBy(() -> parse(lora(8, "1e308", false)))
        .isInstanceOfSatisfying(
            FormatException.class,
            e -> assertThat(e.reason()).isEqualTo(FormatException.Reason.INCONSISTENT))
        .hasMessageContaining("lora_alpha 1.0E308 with r 8 gives a scaling α/r = 1.25E307")
        .hasMessageContaining("not a positive finite fp32 number");
    // 6e38 / 2 = 3e38 fits; 6e38 / √2 ≈ 4.2e38 does not
    assertThat(parse(lora(2, "6e38", false)).scaling()).isEqualTo(3e38);
    assertThatThrownBy(() -> parse(lora(2, "6e38", true))).hasMessageContaining("scaling α/√r");
    // a scaling that rounds to 0 in fp32 would switch the adapter off without a word
    assertThatThrownBy(() -> parse(lora(8, "1e-50", false)))
        .hasMessageContaining("gives a scaling α/r");
    assertThatThrownBy(() -> parse(lora(8, "-16", false)))
        .hasMessageContaining("lora_alpha must be positive");
    assertThatThrownBy(() -> parse(lora(8, "1e309", false)))
        .isInstanceOfSatisfying(
            FormatException.class,
            e -> assertThat(e.reason()).isEqualTo(FormatException.Reason.MALFORMED))
        .hasMessageContaining("'lora_alpha' must be a number");
    assertThatThrownBy(() -> parse(lora(-4, "8", false)))
        .hasMessageContaining("r must be at least 1, found -4");
    assertThatThrownBy(
            () ->
                parse(
                    """
                {"peft_type":"MIXLORA","routing_strategy":"mixlora","r":4,"lora_alpha":8,"num_experts":2,"top_k":1,
                 "target_modules":["up_proj"],"expert_lora":{"r":4,"lora_alpha":1e300}}"""))
        .hasMessageContaining("expert lora_alpha 1.0E300 with r 4 gives a scaling α/r");
  }

  private static String lora(int r, String alpha, boolean rslora) {
    return "{\"peft_type\":\"LORA\",\"r\":"
        + r
        + ",\"lora_alpha\":"
        + alpha
        + ",\"use_rslora\":"
        + rslora
        + ",\"target_modules\":[\"q_proj\"]}";
  }

  @Test
  void boundsExpertsAndRankSoAHostileConfigCannotExhaustTheValidator() {
    assertThatThrownBy(
            () ->
                parse(
                    """
                {"peft_type":"MIXLORA","routing_strategy":"mixlora","r":100000,"lora_alpha":8,"num_experts":1000000,
                 "top_k":2,"target_modules":["up_proj"]}"""))
        .hasMessageContaining("num_experts 1000000 is more than the 1024 supported")
        .hasMessageContaining("r 100000 is more than the 65536 supported");
  }

  @Test
  void rejectsMissingFieldsAsMalformed() {
    assertThatThrownBy(() -> parse("{\"peft_type\":\"LORA\",\"lora_alpha\":\"8\"}"))
        .isInstanceOfSatisfying(
            FormatException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(FormatException.Reason.MALFORMED);
              assertThat(e.problems())
                  .anyMatch(m -> m.contains("'r' is missing"))
                  .anyMatch(m -> m.contains("'lora_alpha' must be a number"))
                  .anyMatch(m -> m.contains("'target_modules' is missing"));
            });
  }
}
