package io.adapterplatform.engine.format;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The weights of a model directory, whether one {@code model.safetensors} or shards listed by
 * {@code model.safetensors.index.json}: every tensor is looked up by name across the files. Opening
 * checks every shard (header and size), that each tensor the index names is in the shard it names,
 * that every tensor of a shard is listed for that shard, and that no tensor appears twice.
 */
public final class ModelWeights implements AutoCloseable {

  /** The conventional name of a single-file checkpoint. */
  public static final String SINGLE_FILE = "model.safetensors";

  private final List<SafetensorsFile> files;
  private final Map<String, SafetensorsFile> fileOf;

  private ModelWeights(List<SafetensorsFile> files, Map<String, SafetensorsFile> fileOf) {
    this.files = List.copyOf(files);
    this.fileOf = fileOf;
  }

  /**
   * Opens the weights of a model directory.
   *
   * @throws FormatException if a file is invalid or the index disagrees with the shards
   */
  public static ModelWeights open(Path dir) {
    Path index = dir.resolve(ModelWeightsIndex.FILE_NAME);
    List<SafetensorsFile> opened = new ArrayList<>();
    try {
      if (Files.isRegularFile(index)) {
        ModelWeightsIndex idx =
            ModelWeightsIndex.parse(Files.readAllBytes(index), ModelWeightsIndex.FILE_NAME);
        Map<String, SafetensorsFile> byFile = new LinkedHashMap<>();
        for (String f : idx.files()) {
          SafetensorsFile sf = SafetensorsFile.open(dir.resolve(f));
          opened.add(sf);
          byFile.put(f, sf);
        }
        return new ModelWeights(opened, crossCheck(idx, byFile));
      }
      Path single = dir.resolve(SINGLE_FILE);
      if (!Files.isRegularFile(single)) {
        throw new FormatException(
            FormatException.Reason.INCONSISTENT,
            dir.getFileName() + "",
            "has neither " + SINGLE_FILE + " nor " + ModelWeightsIndex.FILE_NAME);
      }
      SafetensorsFile sf = SafetensorsFile.open(single);
      opened.add(sf);
      Map<String, SafetensorsFile> fileOf = new LinkedHashMap<>();
      sf.header().names().forEach(n -> fileOf.put(n, sf));
      return new ModelWeights(opened, fileOf);
    } catch (IOException e) {
      opened.forEach(SafetensorsFile::close);
      throw new UncheckedIOException("cannot read the weights in " + dir, e);
    } catch (RuntimeException e) {
      opened.forEach(SafetensorsFile::close);
      throw e;
    }
  }

  private static Map<String, SafetensorsFile> crossCheck(
      ModelWeightsIndex idx, Map<String, SafetensorsFile> byFile) {
    Map<String, SafetensorsHeader> headers = new LinkedHashMap<>();
    byFile.forEach((f, sf) -> headers.put(f, sf.header()));
    idx.validate(headers);
    Map<String, SafetensorsFile> fileOf = new LinkedHashMap<>();
    idx.weightMap().forEach((tensor, file) -> fileOf.put(tensor, byFile.get(file)));
    return fileOf;
  }

  /** Headers of the files, in file-name order. */
  public List<SafetensorsHeader> headers() {
    return files.stream().map(SafetensorsFile::header).toList();
  }

  /** Every tensor name. */
  public List<String> names() {
    return List.copyOf(fileOf.keySet());
  }

  /** The tensor's description, if present. */
  public Optional<TensorInfo> tensor(String name) {
    SafetensorsFile f = fileOf.get(name);
    return f == null ? Optional.empty() : f.header().tensor(name);
  }

  /** The file holding a tensor. */
  public SafetensorsFile fileOf(String name) {
    SafetensorsFile f = fileOf.get(name);
    if (f == null) {
      throw new FormatException(
          FormatException.Reason.INCONSISTENT,
          files.isEmpty()
              ? SINGLE_FILE
              : files.size() == 1
                  ? files.getFirst().header().fileName()
                  : ModelWeightsIndex.FILE_NAME,
          "has no tensor '" + name + "'");
    }
    return f;
  }

  /** The tensor's values widened to F32. */
  public float[] readFloats(String name) {
    return fileOf(name).readFloats(name);
  }

  /** The tensor's raw little-endian bytes (a view over the mapping). */
  public ByteBuffer readRaw(String name) {
    return fileOf(name).readRaw(name);
  }

  @Override
  public void close() {
    files.forEach(SafetensorsFile::close);
  }
}
