package io.adapterplatform.engine.format;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An adapter directory opened for reading: its parsed config, its memory-mapped weights and their
 * validated layout against the base model. Close it to unmap the weights.
 */
public record AdapterDirectory(
    Path dir, AdapterConfig config, SafetensorsFile weights, AdapterLayout layout)
    implements AutoCloseable {

  /**
   * Opens {@code adapter_config.json} and {@code adapter_model.safetensors} in {@code dir}.
   *
   * @throws FormatException if either file is invalid or they disagree with each other or with the
   *     model
   */
  public static AdapterDirectory open(Path dir, ModelConfig model) {
    Path configFile = dir.resolve(MixLoraComposer.CONFIG_FILE);
    Path weightsFile = dir.resolve(MixLoraComposer.WEIGHTS_FILE);
    AdapterConfig config;
    try {
      if (!Files.isRegularFile(configFile) || !Files.isRegularFile(weightsFile)) {
        throw new FormatException(
            FormatException.Reason.INCONSISTENT,
            String.valueOf(dir.getFileName()),
            "an adapter directory needs "
                + MixLoraComposer.CONFIG_FILE
                + " and "
                + MixLoraComposer.WEIGHTS_FILE);
      }
      config = AdapterConfig.parse(Files.readAllBytes(configFile), MixLoraComposer.CONFIG_FILE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + configFile, e);
    }
    SafetensorsFile weights = SafetensorsFile.open(weightsFile);
    try {
      AdapterLayout layout =
          AdapterLayout.validate(config, weights.header(), model, MixLoraComposer.WEIGHTS_FILE);
      return new AdapterDirectory(dir, config, weights, layout);
    } catch (RuntimeException e) {
      weights.close();
      throw e;
    }
  }

  /** A tensor's values widened to F32. */
  public float[] readFloats(TensorInfo tensor) {
    return weights.readFloats(tensor.name());
  }

  @Override
  public void close() {
    weights.close();
  }
}
