package io.adapterplatform.engine.model;

import ai.djl.Device;
import io.adapterplatform.engine.format.BaseModelLayout;
import io.adapterplatform.engine.format.FormatException;
import io.adapterplatform.engine.format.ModelConfig;
import io.adapterplatform.engine.format.ModelWeights;
import io.adapterplatform.engine.format.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A Hugging Face model directory: {@code config.json} plus {@code model.safetensors} or shards
 * listed by {@code model.safetensors.index.json}, weights in F32, F16 or BF16 (widened to fp32 in
 * Java).
 */
public final class ModelDirectory {

  public static final String CONFIG_FILE = "config.json";

  private ModelDirectory() {}

  /**
   * The parsed {@code config.json} of {@code dir}.
   *
   * @throws FormatException naming the file when it is missing or invalid
   */
  public static ModelConfig config(Path dir) {
    Path path = dir.resolve(CONFIG_FILE);
    try {
      return ModelConfig.parse(Files.readAllBytes(path), path.toString());
    } catch (NoSuchFileException e) {
      throw new FormatException(
          FormatException.Reason.MALFORMED, path.toString(), "missing: no such file");
    } catch (IOException e) {
      throw new FormatException(
          FormatException.Reason.MALFORMED, path.toString(), "cannot be read: " + e.getMessage());
    }
  }

  /** The model's dimensions as the engine uses them. */
  public static ModelDims dims(ModelConfig c) {
    return new ModelDims(
        c.hiddenSize(),
        c.intermediateSize(),
        c.numHiddenLayers(),
        c.numAttentionHeads(),
        c.numKeyValueHeads(),
        c.headDim(),
        c.rmsNormEps(),
        c.ropeTheta(),
        c.tieWordEmbeddings(),
        c.vocabSize());
  }

  /**
   * Loads the model in {@code dir} onto {@code device}; the checkpoint is validated against its
   * config first (missing, misshapen or unexpected tensors are reported together, naming the file).
   */
  public static BaseModel load(Path dir, Device device) {
    ModelConfig config = config(dir);
    try (ModelWeights weights = ModelWeights.open(dir)) {
      BaseModelLayout.validate(config, weights.headers());
      return BaseModel.fromWeights(
          dims(config),
          (name, shape) -> {
            TensorInfo t =
                weights
                    .tensor(name)
                    .orElseThrow(
                        () ->
                            new FormatException(
                                FormatException.Reason.INCONSISTENT,
                                dir.toString(),
                                "tensor '" + name + "' is missing"));
            if (!Arrays.equals(t.shape(), shape)) {
              throw new FormatException(
                  FormatException.Reason.INCONSISTENT,
                  dir.toString(),
                  "tensor '"
                      + name
                      + "' has shape "
                      + t.shapeString()
                      + ", expected "
                      + Arrays.toString(shape));
            }
            return weights.readFloats(name);
          },
          device);
    }
  }
}
