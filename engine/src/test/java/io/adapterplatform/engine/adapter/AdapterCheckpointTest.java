package io.adapterplatform.engine.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.adapterplatform.engine.format.DType;
import io.adapterplatform.engine.format.FormatException;
import io.adapterplatform.engine.format.ModelConfig;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.format.SafetensorsFile;
import io.adapterplatform.engine.format.SafetensorsWriter;
import io.adapterplatform.engine.fused.AdapterPool;
import io.adapterplatform.engine.fused.GroupedLora;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.model.ModelDirectory;
import io.adapterplatform.engine.model.Segment;
import io.adapterplatform.engine.reference.RefAdapters;
import io.adapterplatform.engine.reference.RefModel;
import io.adapterplatform.engine.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AdapterCheckpointTest {

  static final ModelDims DIMS = TinyModels.smallDims();
  static final ModelConfig CONFIG = TinyModels.config(DIMS);

  @TempDir Path dir;

  static Stream<Arguments> adapters() {
    return Stream.of(
        Arguments.of(
            "lora",
            TinyModels.randomLora(DIMS, 4, 8, false, EnumSet.of(Projection.Q, Projection.V), 1),
            8.0,
            false,
            DType.F32),
        Arguments.of(
            "rslora-bf16",
            TinyModels.randomLora(DIMS, 8, 4, true, EnumSet.allOf(Projection.class), 2),
            4.0,
            true,
            DType.BF16),
        Arguments.of(
            "dora-f16",
            TinyModels.randomDora(DIMS, 4, 8, EnumSet.of(Projection.K, Projection.UP), 3),
            8.0,
            false,
            DType.F16),
        Arguments.of(
            "dora-bf16",
            TinyModels.randomDora(DIMS, 2, 2, EnumSet.of(Projection.O), 4),
            2.0,
            false,
            DType.BF16),
        Arguments.of(
            "mixlora-bf16",
            TinyModels.randomMixLora(
                DIMS, 4, 8, 4, 2, EnumSet.of(Projection.Q, Projection.V), null, 5),
            8.0,
            false,
            DType.BF16),
        // Expert 1 has no LoRA on up_proj, which target_modules lists: it uses the base weight.
        Arguments.of(
            "mixlora-sparse-expert",
            TinyModels.randomMixLora(DIMS, 4, 8, 4, 2, EnumSet.of(Projection.Q), Projection.UP, 7),
            8.0,
            false,
            DType.F32),
        Arguments.of(
            "mixlora-f32",
            TinyModels.randomMixLora(DIMS, 2, 4, 3, 1, EnumSet.noneOf(Projection.class), null, 6),
            4.0,
            false,
            DType.F32));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("adapters")
  void exportGivesBackEveryTensorByteForByte(
      String name, AdapterWeights w, double alpha, boolean rslora, DType dtype) {
    Path first = dir.resolve("first");
    Path second = dir.resolve("second");
    TinyModels.writeAdapter(first, w, alpha, rslora, dtype);

    AdapterCheckpoint read = AdapterCheckpoint.read(first, CONFIG);
    read.write(second);

    try (SafetensorsFile a = SafetensorsFile.open(first.resolve(AdapterCheckpoint.WEIGHTS_FILE));
        SafetensorsFile b = SafetensorsFile.open(second.resolve(AdapterCheckpoint.WEIGHTS_FILE))) {
      assertThat(b.header().names()).containsExactlyInAnyOrderElementsOf(a.header().names());
      for (String tensor : a.header().names()) {
        assertThat(b.header().require(tensor).dtype()).isEqualTo(dtype);
        assertThat(b.readBytes(tensor)).as(tensor).isEqualTo(a.readBytes(tensor));
      }
    }
    assertThat(AdapterCheckpoint.read(second, CONFIG).config()).isEqualTo(read.config());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("adapters")
  void loadedAdapterComputesWhatTheReferenceComputesOnTheStoredValues(
      String name, AdapterWeights w, double alpha, boolean rslora, DType dtype) {
    Path model = dir.resolve("model");
    Map<String, float[]> base = TinyModels.writeModel(model, DIMS, 41, DType.BF16, 1);
    AdapterWeights stored =
        TinyModels.writeAdapter(dir.resolve("adapter"), w, alpha, rslora, dtype);
    int[] tokens = new SplittableRandom(3).ints(6, 0, DIMS.vocabSize()).toArray();

    AdapterCheckpoint read =
        AdapterCheckpoint.read(dir.resolve("adapter"), ModelDirectory.config(model));
    assertThat(read.weights().scaling()).isEqualTo(w.scaling());
    float[] logits;
    try (BaseModel m = ModelDirectory.load(model, Device.cpu());
        AdapterPool pool = AdapterPool.of(m, List.of(read.weights()));
        NDManager step = m.manager().newSubManager()) {
      logits =
          m.forward(
                  step,
                  tokens,
                  List.of(Segment.of(tokens.length)),
                  pool.bind(step, new int[tokens.length], GroupedLora.Strategy.AUTO))
              .toFloatArray();
    }

    double[][] expected = new RefModel(DIMS, base).logits(tokens, RefAdapters.of(stored));
    for (int r = 0; r < expected.length; r++) {
      for (int i = 0; i < expected[r].length; i++) {
        assertThat((double) logits[r * DIMS.vocabSize() + i])
            .isCloseTo(expected[r][i], org.assertj.core.api.Assertions.within(1e-4));
      }
    }
  }

  @Test
  void legacyDoraMagnitudeKeysAreReadAndWrittenBackUnderTheirOwnNames() throws IOException {
    Path modern = dir.resolve("modern");
    Path legacy = dir.resolve("legacy");
    Path exported = dir.resolve("exported");
    TinyModels.writeAdapter(
        modern,
        TinyModels.randomDora(DIMS, 2, 4, EnumSet.of(Projection.V, Projection.DOWN), 9),
        4,
        false,
        DType.BF16);
    // the same adapter as older PEFT wrote it: "…lora_magnitude_vector.weight"
    Files.createDirectories(legacy);
    Files.copy(
        modern.resolve(AdapterCheckpoint.CONFIG_FILE),
        legacy.resolve(AdapterCheckpoint.CONFIG_FILE));
    try (SafetensorsFile f = SafetensorsFile.open(modern.resolve(AdapterCheckpoint.WEIGHTS_FILE))) {
      SafetensorsWriter w = new SafetensorsWriter();
      for (var t : f.header().tensors()) {
        String name = t.name().endsWith("lora_magnitude_vector") ? t.name() + ".weight" : t.name();
        w.add(name, t.dtype(), t.shape(), f.readBytes(t.name()));
      }
      w.writeTo(legacy.resolve(AdapterCheckpoint.WEIGHTS_FILE));
    }

    AdapterCheckpoint read = AdapterCheckpoint.read(legacy, CONFIG);
    read.write(exported);

    assertThat(read.weights()).isInstanceOf(Dora.class);
    try (SafetensorsFile a = SafetensorsFile.open(legacy.resolve(AdapterCheckpoint.WEIGHTS_FILE));
        SafetensorsFile b =
            SafetensorsFile.open(exported.resolve(AdapterCheckpoint.WEIGHTS_FILE))) {
      assertThat(b.header().names())
          .containsExactlyInAnyOrderElementsOf(a.header().names())
          .anyMatch(n -> n.endsWith("lora_magnitude_vector.weight"));
      for (String tensor : a.header().names()) {
        assertThat(b.readBytes(tensor)).as(tensor).isEqualTo(a.readBytes(tensor));
      }
    }
  }

  @Test
  void missingConfigNamesTheFile() {
    assertThatThrownBy(() -> AdapterCheckpoint.read(dir, CONFIG))
        .isInstanceOf(FormatException.class)
        .hasMessageContaining("adapter_config.json")
        .hasMessageContaining("missing");
  }

  @Test
  void adapterWithoutSafetensorsWeightsNamesTheMissingFile() throws IOException {
    TinyModels.writeAdapter(
        dir,
        TinyModels.randomLora(DIMS, 2, 2, false, EnumSet.of(Projection.Q), 1),
        2,
        false,
        DType.F32);
    Files.move(dir.resolve("adapter_model.safetensors"), dir.resolve("adapter_model.bin"));

    assertThatThrownBy(() -> AdapterCheckpoint.read(dir, CONFIG))
        .isInstanceOf(FormatException.class)
        .hasMessageContaining("adapter_model.safetensors")
        .hasMessageContaining("adapter_model.bin");
  }

  @Test
  void tensorWhoseRankDisagreesWithTheConfigIsRejectedNamingFileAndTensor() throws IOException {
    TinyModels.writeAdapter(
        dir,
        TinyModels.randomLora(DIMS, 2, 2, false, EnumSet.of(Projection.Q), 1),
        2,
        false,
        DType.F32);
    // rewrite the weights with rank 3 while the config still says r = 2
    Lora wrong = TinyModels.randomLora(DIMS, 3, 2, false, EnumSet.of(Projection.Q), 2);
    SafetensorsWriter writer = new SafetensorsWriter();
    for (var e : wrong.modules().entrySet()) {
      var p = e.getKey().projection();
      writer.addFloats(
          io.adapterplatform.engine.format.AdapterKeys.peft(e.getKey().layer(), p, "lora_A.weight"),
          DType.F32,
          new long[] {3, DIMS.hiddenSize()},
          e.getValue().a());
      writer.addFloats(
          io.adapterplatform.engine.format.AdapterKeys.peft(e.getKey().layer(), p, "lora_B.weight"),
          DType.F32,
          new long[] {e.getValue().out(), 3},
          e.getValue().b());
    }
    writer.writeTo(dir.resolve("adapter_model.safetensors"));

    assertThatThrownBy(() -> AdapterCheckpoint.read(dir, CONFIG))
        .isInstanceOf(FormatException.class)
        .hasMessageContaining("adapter_model.safetensors")
        .hasMessageContaining("lora_A");
  }
}
