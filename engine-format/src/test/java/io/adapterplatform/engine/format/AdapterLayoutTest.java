package io.adapterplatform.engine.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AdapterLayoutTest {

  private final ModelConfig model = Fixtures.tinyModel();
  private final Random rng = new Random(3);

  private static AdapterConfig mix(int experts, int topK, List<String> targets) {
    return AdapterConfig.mixlora("tiny", 4, 8, targets, experts, topK, 0.02);
  }

  private static void assertProblem(ThrowableAssert.ThrowingCallable call, String... fragments) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            FormatException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(FormatException.Reason.INCONSISTENT);
              assertThat(e.file()).isEqualTo("adapter_model.safetensors");
              for (String f : fragments) {
                assertThat(e.problems()).anyMatch(m -> m.contains(f));
              }
            });
  }

  @Test
  void acceptsACompletePeftLoraAndExposesItsTensors() {
    AdapterConfig c =
        AdapterConfig.lora("tiny", 4, 8, List.of("q_proj", "k_proj", "down_proj"), false, false);
    SafetensorsHeader h =
        Fixtures.peftWeights(c, model, rng, DType.BF16).header("adapter_model.safetensors");

    AdapterLayout layout = AdapterLayout.validate(c, h, model, "adapter_model.safetensors");

    assertThat(layout.kind()).isEqualTo(AdapterKind.LORA);
    assertThat(layout.rank()).isEqualTo(4);
    assertThat(layout.layers()).isEqualTo(2);
    assertThat(layout.loras()).hasSize(6);
    LoraTensors k = layout.lora(1, "k_proj").orElseThrow();
    assertThat(k.a().shape()).containsExactly(4, 16);
    assertThat(k.b().shape()).containsExactly(8, 4);
    assertThat(k.magnitude()).isEmpty();
    assertThat(layout.experts()).isEmpty();
    for (LoraTensors x : layout.loras()) {
      assertThat(layout.lora(x.layer(), x.module().module())).containsSame(x);
    }
    assertThat(layout.lora(0, "v_proj")).isEmpty();
    assertThat(layout.expertLora(0, 0, "down_proj")).isEmpty();
  }

  /**
   * Adapters whose tensors disagree with the config they claim: the config, the tensors, and a
   * fragment of each problem the validation must name.
   */
  static Stream<Arguments> inconsistentAdapters() {
    ModelConfig model = Fixtures.tinyModel();
    AdapterConfig q = AdapterConfig.lora("tiny", 4, 8, List.of("q_proj"), false, false);
    AdapterConfig rank4 = AdapterConfig.lora("tiny", 4, 8, List.of("v_proj"), false, false);
    AdapterConfig upDown = mix(3, 2, List.of("up_proj", "down_proj"));
    return Stream.of(
        arguments(
            named("a missing layer", q),
            withoutPrefix(
                Fixtures.peftWeights(q, model, new Random(3), DType.F32),
                "base_model.model.model.layers.1."),
            List.of(
                "missing tensor 'base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight' (layer 1 q_proj)",
                "missing tensor 'base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight'")),
        arguments(
            named(
                "a wrong rank", AdapterConfig.lora("tiny", 8, 8, List.of("v_proj"), false, false)),
            Fixtures.peftWeights(rank4, model, new Random(3), DType.F32)
                .header("adapter_model.safetensors"),
            List.of(
                "tensor 'base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight' has shape [4, 16] but "
                    + "[8, 16] is expected ([r, in] with r=8, v_proj: 16 → 8)")),
        arguments(
            named("half an expert's pair", upDown),
            withoutPrefix(
                Fixtures.mixloraWeights(upDown, model, new Random(3)),
                "mixlora.layers.1.mlp.up_proj.experts.1.lora_A."),
            List.of(
                "missing tensor 'mixlora.layers.1.mlp.up_proj.experts.1.lora_A.weight' (expert 1 of layer 1"
                    + " has the lora_B of up_proj but not its pair: an expert has both or neither)")),
        arguments(
            named("extra experts and wrong router shapes", mix(2, 2, List.of("down_proj"))),
            Fixtures.mixloraWeights(mix(3, 2, List.of("down_proj")), model, new Random(3))
                .header("adapter_model.safetensors"),
            List.of(
                "expert 2 but num_experts is 2",
                "tensor 'mixlora.layers.0.mlp.moe_gate.weight' has shape [3, 16] but [2, 16] is expected")));
  }

  @ParameterizedTest(name = "rejects {0}")
  @MethodSource("inconsistentAdapters")
  void rejectsTensorsThatDisagreeWithTheConfig(
      AdapterConfig claimed, SafetensorsHeader tensors, List<String> problems) {
    assertProblem(
        () -> AdapterLayout.validate(claimed, tensors, model, "adapter_model.safetensors"),
        problems.toArray(String[]::new));
  }

  @Test
  void rejectsTensorsOfModulesOutsideTheArchitectureOrTheTargets() {
    AdapterConfig c = AdapterConfig.lora("tiny", 2, 2, List.of("q_proj"), false, false);
    SafetensorsWriter w =
        Fixtures.peftWeights(c, model, rng, DType.F32)
            .addFloats(
                "base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight",
                DType.F32,
                new long[] {2, 16},
                new float[32])
            .addFloats(
                "base_model.model.model.layers.0.mlp.fc1.lora_A.weight",
                DType.F32,
                new long[] {1},
                new float[1])
            .addFloats(
                "base_model.model.model.layers.7.self_attn.q_proj.lora_A.weight",
                DType.F32,
                new long[] {1},
                new float[1])
            .addFloats(
                "base_model.model.lm_head.lora_A.weight", DType.F32, new long[] {1}, new float[1]);
    SafetensorsHeader h = w.header("adapter_model.safetensors");

    assertProblem(
        () -> AdapterLayout.validate(c, h, model, "adapter_model.safetensors"),
        "module k_proj is not in target_modules [q_proj]",
        "'mlp.fc1' is not a linear module of a LLaMA layer",
        "layer 7 but the base model has 2 layers",
        "unexpected tensor 'base_model.model.lm_head.lora_A.weight': not a PEFT adapter key");
    AdapterConfig bad =
        new AdapterConfig(
            "LORA", "CAUSAL_LM", null, 2, 2, 0, List.of("dense"), false, false, Optional.empty());
    assertProblem(
        () -> AdapterLayout.validate(bad, h, model, "adapter_model.safetensors"),
        "target module 'dense' is not in the llama architecture");
  }

  @Test
  void checksDoraMagnitudeShapeAndAcceptsTheLegacyKey() {
    AdapterConfig c = AdapterConfig.lora("tiny", 2, 4, List.of("o_proj"), false, true);
    SafetensorsHeader good =
        Fixtures.peftWeights(c, model, rng, DType.F16).header("adapter_model.safetensors");
    assertThat(
            AdapterLayout.validate(c, good, model, "adapter_model.safetensors")
                .lora(0, "o_proj")
                .orElseThrow()
                .magnitude())
        .get()
        .extracting(TensorInfo::elementCount)
        .isEqualTo(16L);

    SafetensorsWriter legacy = new SafetensorsWriter();
    SafetensorsWriter wrong = new SafetensorsWriter();
    for (TensorInfo t : good.tensors()) {
      String name = t.name().endsWith("lora_magnitude_vector") ? t.name() + ".weight" : t.name();
      legacy.add(name, t.dtype(), t.shape(), new byte[(int) t.byteLength()]);
      long[] shape = t.name().endsWith("lora_magnitude_vector") ? new long[] {1, 16} : t.shape();
      wrong.add(t.name(), t.dtype(), shape, new byte[(int) t.byteLength()]);
    }

    AdapterLayout l =
        AdapterLayout.validate(c, legacy.header("a"), model, "adapter_model.safetensors");
    assertThat(l.lora(1, "o_proj").orElseThrow().magnitude().orElseThrow().name())
        .endsWith("lora_magnitude_vector.weight");
    assertProblem(
        () -> AdapterLayout.validate(c, wrong.header("a"), model, "adapter_model.safetensors"),
        "has shape [1, 16] but [16] is expected (DoRA magnitude [out], o_proj: 16 → 16)");
  }

  @Test
  void acceptsACompleteMixLoraAndListsItsExperts() {
    AdapterConfig c = mix(3, 2, List.of("q_proj", "v_proj", "gate_proj", "up_proj", "down_proj"));
    SafetensorsHeader h =
        Fixtures.mixloraWeights(c, model, rng).header("adapter_model.safetensors");

    AdapterLayout l = AdapterLayout.validate(c, h, model, "adapter_model.safetensors");

    assertThat(l.kind()).isEqualTo(AdapterKind.MIXLORA);
    assertThat(l.numExperts()).isEqualTo(3);
    assertThat(l.experts())
        .hasSize(3)
        .allSatisfy(
            e -> {
              assertThat(e.projections()).containsExactly("gate_proj", "up_proj", "down_proj");
              assertThat(e.tensors()).hasSize(2 * 3 * 2);
            });
    assertThat(l.experts().get(2).tensors())
        .extracting(TensorInfo::name)
        .allMatch(n -> n.contains(".experts.2."));
    assertThat(l.routerTensors())
        .extracting(TensorInfo::name)
        .containsExactly(
            "mixlora.layers.0.mlp.moe_gate.weight", "mixlora.layers.1.mlp.moe_gate.weight");
    assertThat(l.router(1).shape()).containsExactly(3, 16);
    assertThat(l.attentionTensors()).hasSize(2 * 2 * 2);
    assertThat(l.expertLora(1, 2, "down_proj").orElseThrow().a().shape()).containsExactly(4, 24);
    for (LoraTensors x : l.expertLoras()) {
      assertThat(l.expertLora(x.layer(), x.expert(), x.module().module())).containsSame(x);
    }
    for (LoraTensors x : l.loras()) {
      assertThat(l.lora(x.layer(), x.module().module())).containsSame(x);
    }
    assertThat(l.expertLora(1, 3, "down_proj")).isEmpty();
    assertThat(l.expertLora(0, 0, "q_proj")).isEmpty();
    assertThat(l.lora(2, "q_proj")).isEmpty();
    assertThat(l.lora(0, "k_proj")).isEmpty();
  }

  @Test
  void acceptsAnExpertWithoutALoraOnAListedProjection() {
    AdapterConfig c = mix(3, 2, List.of("up_proj", "down_proj"));
    SafetensorsHeader h =
        withoutPrefix(
            Fixtures.mixloraWeights(c, model, rng), "mixlora.layers.1.mlp.up_proj.experts.1.");

    AdapterLayout l = AdapterLayout.validate(c, h, model, "adapter_model.safetensors");

    assertThat(l.expertLora(1, 1, "up_proj")).isEmpty();
    assertThat(l.expertLora(0, 1, "up_proj")).isPresent();
    assertThat(l.expertLora(1, 1, "down_proj")).isPresent();
    assertThat(l.expertLoras()).hasSize(2 * 3 * 2 - 1);
    for (LoraTensors x : l.expertLoras()) {
      assertThat(l.expertLora(x.layer(), x.expert(), x.module().module())).containsSame(x);
    }
    assertThat(l.experts().get(1).tensors()).hasSize(2 * (2 * 2 - 1));
    assertThat(l.experts().get(1).projections()).containsExactly("up_proj", "down_proj");
  }

  @Test
  void listsOnlyTheProjectionsAnExpertAdapts() {
    AdapterConfig c = mix(2, 1, List.of("gate_proj", "down_proj"));
    SafetensorsHeader h =
        withoutPrefix(
            Fixtures.mixloraWeights(c, model, rng),
            "mixlora.layers.0.mlp.gate_proj.experts.0.",
            "mixlora.layers.1.mlp.gate_proj.experts.0.");

    AdapterLayout l = AdapterLayout.validate(c, h, model, "adapter_model.safetensors");

    assertThat(l.experts().get(0).projections()).containsExactly("down_proj");
    assertThat(l.experts().get(1).projections()).containsExactly("gate_proj", "down_proj");
  }

  @Test
  void listsTheFirstProblemsAndCountsTheRest() {
    ModelConfig deep =
        new ModelConfig("llama", List.of(), 16, 24, 64, 4, 2, 4, 1e-6, 1e4, false, 32, 64);
    AdapterConfig c = AdapterConfig.lora("tiny", 2, 2, List.of("q_proj"), false, false);
    SafetensorsHeader nothing = new SafetensorsWriter().header("adapter_model.safetensors");

    assertThatThrownBy(() -> AdapterLayout.validate(c, nothing, deep, "adapter_model.safetensors"))
        .isInstanceOfSatisfying(
            FormatException.class,
            e -> {
              assertThat(e.problems()).hasSize(Problems.MAX_LISTED + 1);
              assertThat(e.problems().getLast())
                  .isEqualTo("and " + (128 - Problems.MAX_LISTED) + " more problems");
              assertThat(e.getMessage())
                  .startsWith("adapter_model.safetensors: 128 problems: missing tensor");
            });
  }

  private static SafetensorsHeader withoutPrefix(SafetensorsWriter full, String... prefixes) {
    SafetensorsHeader h = full.header("x");
    SafetensorsWriter w = new SafetensorsWriter();
    for (TensorInfo t : h.tensors()) {
      if (Arrays.stream(prefixes).noneMatch(t.name()::startsWith)) {
        w.add(t.name(), t.dtype(), t.shape(), new byte[(int) t.byteLength()]);
      }
    }
    return w.header("adapter_model.safetensors");
  }
}
