package io.adapterplatform.engine.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MixLoraSplitterTest {

  private final ModelConfig model = Fixtures.tinyModel();
  private final Random rng = new Random(41);

  private record Input(AdapterConfig config, byte[] file) {}

  private Input input(AdapterConfig c, DType dtype) {
    return new Input(c, Fixtures.peftWeights(c, model, rng, dtype).toByteArray());
  }

  private static MixLoraComposer.Part part(String name, Input in) {
    SafetensorsHeader h = Fixtures.header(in.file());
    return new MixLoraComposer.Part(name, in.config(), h, TensorSource.of(in.file(), h));
  }

  private static byte[] tensorBytes(byte[] file, String name) {
    SafetensorsHeader h = Fixtures.header(file);
    TensorInfo t = h.require(name);
    int from = (int) (h.headerLength() + t.begin());
    return java.util.Arrays.copyOfRange(file, from, from + (int) t.byteLength());
  }

  @Test
  void splittingAComposedMixLoraGivesBackEachInputAdapter() {
    List<Input> experts = new ArrayList<>();
    for (int e = 0; e < 3; e++) {
      experts.add(
          input(
              AdapterConfig.lora(
                  "tiny", 4, 8, List.of("gate_proj", "up_proj", "down_proj"), true, false),
              e == 0 ? DType.BF16 : DType.F32));
    }
    Input attention =
        input(
            AdapterConfig.lora("tiny", 2, 2, List.of("k_proj", "o_proj"), false, false), DType.F16);
    List<MixLoraComposer.Part> parts = new ArrayList<>();
    for (int e = 0; e < 3; e++) {
      parts.add(part("e" + e, experts.get(e)));
    }
    ByteArrayOutputStream mixed = new ByteArrayOutputStream();
    MixLoraComposer.Composition comp =
        MixLoraComposer.plan(
            model, parts, Optional.of(part("att", attention)), 2, new RouterInit(0.02, 3), "tiny");
    comp.writeWeights(mixed);
    byte[] mixFile = mixed.toByteArray();
    SafetensorsHeader mixHeader = Fixtures.header(mixFile);
    AdapterConfig mixConfig = AdapterConfig.parse(comp.config().toJson(), "adapter_config.json");
    AdapterLayout layout =
        AdapterLayout.validate(mixConfig, mixHeader, model, "adapter_model.safetensors");

    for (int e = 0; e < 3; e++) {
      MixLoraSplitter.Part p =
          MixLoraSplitter.expert(mixConfig, layout, TensorSource.of(mixFile, mixHeader), e);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      p.writeWeights(out);

      assertThat(p.config()).isEqualTo(experts.get(e).config().withBase("tiny"));
      SafetensorsHeader h = Fixtures.header(out.toByteArray());
      AdapterLayout.validate(p.config(), h, model, "adapter_model.safetensors");
      for (TensorInfo t : Fixtures.header(experts.get(e).file()).tensors()) {
        assertThat(tensorBytes(out.toByteArray(), t.name()))
            .isEqualTo(tensorBytes(experts.get(e).file(), t.name()));
      }
    }
    MixLoraSplitter.Part att =
        MixLoraSplitter.attention(mixConfig, layout, TensorSource.of(mixFile, mixHeader))
            .orElseThrow();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    att.writeWeights(out);
    assertThat(att.config()).isEqualTo(attention.config().withBase("tiny"));
    for (TensorInfo t : Fixtures.header(attention.file()).tensors()) {
      assertThat(tensorBytes(out.toByteArray(), t.name()))
          .isEqualTo(tensorBytes(attention.file(), t.name()));
    }
  }

  /** A MixLoRA file without the tensors whose names start with any of {@code prefixes}. */
  private byte[] sparseMixLora(AdapterConfig c, String... prefixes) {
    SafetensorsHeader full = Fixtures.mixloraWeights(c, model, rng).header("x");
    byte[] bytes = Fixtures.mixloraWeights(c, model, new Random(5)).toByteArray();
    SafetensorsWriter w = new SafetensorsWriter();
    for (TensorInfo t : full.tensors()) {
      if (java.util.Arrays.stream(prefixes).noneMatch(t.name()::startsWith)) {
        w.add(t.name(), t.dtype(), t.shape(), tensorBytes(bytes, t.name()));
      }
    }
    return w.toByteArray();
  }

  @Test
  void aSparseExpertBecomesALoraOnTheProjectionsItAdapts() {
    AdapterConfig c =
        AdapterConfig.mixlora("tiny", 4, 8, List.of("up_proj", "down_proj"), 3, 2, 0.02);
    byte[] file =
        sparseMixLora(
            c,
            "mixlora.layers.0.mlp.up_proj.experts.1.",
            "mixlora.layers.1.mlp.up_proj.experts.1.");
    SafetensorsHeader h = Fixtures.header(file);
    AdapterLayout layout = AdapterLayout.validate(c, h, model, "adapter_model.safetensors");

    MixLoraSplitter.Part p = MixLoraSplitter.expert(c, layout, TensorSource.of(file, h), 1);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    p.writeWeights(out);

    assertThat(p.config().targetModules()).containsExactly("down_proj");
    AdapterLayout.validate(p.config(), Fixtures.header(out.toByteArray()), model, "x");
    assertThat(
            MixLoraSplitter.expert(c, layout, TensorSource.of(file, h), 0).config().targetModules())
        .containsExactly("up_proj", "down_proj");
  }

  @Test
  void refusesToSplitAnExpertThatAdaptsAProjectionInSomeLayersOnly() {
    AdapterConfig c =
        AdapterConfig.mixlora("tiny", 4, 8, List.of("up_proj", "down_proj"), 3, 2, 0.02);
    byte[] file = sparseMixLora(c, "mixlora.layers.1.mlp.up_proj.experts.2.");
    SafetensorsHeader h = Fixtures.header(file);
    AdapterLayout layout = AdapterLayout.validate(c, h, model, "adapter_model.safetensors");

    assertThatThrownBy(() -> MixLoraSplitter.expert(c, layout, TensorSource.of(file, h), 2))
        .isInstanceOf(FormatException.class)
        .hasMessageContaining("in some layers only");
  }
}
