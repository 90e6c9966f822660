package io.adapterplatform.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.adapterplatform.engine.format.DType;
import io.adapterplatform.engine.format.FormatException;
import io.adapterplatform.engine.reference.RefAdapter;
import io.adapterplatform.engine.reference.RefModel;
import io.adapterplatform.engine.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModelDirectoryTest {

  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({"F32, 1", "BF16, 1", "F16, 3"})
  void loadsSingleFileAndShardedCheckpointsInEveryDtype(DType dtype, int shards) {
    ModelDims dims = TinyModels.smallDims();
    Map<String, float[]> stored = TinyModels.writeModel(dir, dims, 31, dtype, shards);
    int[] tokens = BaseModelTest.randomTokens(dims, 7, 4);

    try (BaseModel model = ModelDirectory.load(dir, Device.cpu());
        NDManager step = model.manager().newSubManager()) {
      float[] logits =
          model
              .forward(step, tokens, List.of(Segment.of(tokens.length)), AdapterHook.NONE)
              .toFloatArray();

      // the reference runs on the values the file holds (rounded to the dtype), in float64
      BaseModelTest.assertClose(logits, new RefModel(dims, stored).logits(tokens, RefAdapter.NONE));
    }
    if (shards > 1) {
      assertThat(dir.resolve("model.safetensors.index.json")).exists();
      assertThat(dir.resolve("model.safetensors")).doesNotExist();
    }
  }

  @Test
  void missingConfigIsReportedWithTheFileName() {
    assertThatThrownBy(() -> ModelDirectory.load(dir, Device.cpu()))
        .isInstanceOf(FormatException.class)
        .hasMessageContaining("config.json")
        .hasMessageContaining("missing");
  }

  @Test
  void checkpointThatDisagreesWithItsConfigIsRejectedBeforeLoading() throws IOException {
    ModelDims dims = TinyModels.smallDims();
    TinyModels.writeModel(dir, dims, 1, DType.F32, 1);
    // claim one more layer than the weights hold
    Path other = Files.createDirectories(dir.resolve("other"));
    Files.copy(dir.resolve("model.safetensors"), other.resolve("model.safetensors"));
    Files.write(
        other.resolve("config.json"),
        TinyModels.config(
                new ModelDims(
                    dims.hiddenSize(),
                    dims.intermediateSize(),
                    dims.numLayers() + 1,
                    dims.numHeads(),
                    dims.numKvHeads(),
                    dims.headDim(),
                    dims.rmsNormEps(),
                    dims.ropeTheta(),
                    dims.tieWordEmbeddings(),
                    dims.vocabSize()))
            .toJson());

    assertThatThrownBy(() -> ModelDirectory.load(other, Device.cpu()))
        .isInstanceOf(FormatException.class)
        .hasMessageContaining("model.safetensors")
        .hasMessageContaining("model.layers.2");
  }
}
