package io.adapterplatform.engine.adapter;

import io.adapterplatform.engine.format.AdapterConfig;
import io.adapterplatform.engine.format.AdapterKeys;
import io.adapterplatform.engine.format.AdapterKind;
import io.adapterplatform.engine.format.AdapterLayout;
import io.adapterplatform.engine.format.DType;
import io.adapterplatform.engine.format.FormatException;
import io.adapterplatform.engine.format.LoraTensors;
import io.adapterplatform.engine.format.ModelConfig;
import io.adapterplatform.engine.format.SafetensorsFile;
import io.adapterplatform.engine.format.SafetensorsWriter;
import io.adapterplatform.engine.format.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An adapter directory in PEFT layout ({@code adapter_config.json} + {@code
 * adapter_model.safetensors}) or the MixLoRA reference layout, read into {@link AdapterWeights} and
 * written back.
 *
 * <p>Tensors may be F32, F16 or BF16; they are widened to fp32 in Java (BF16 NDArrays would abort
 * the JVM) and each tensor's dtype is remembered, so {@link #write} gives back the same bytes for
 * every tensor.
 *
 * @param config the parsed adapter config
 * @param weights the adapter's values
 * @param dtypes the stored dtype of each tensor by name (tensors not listed are written as F32)
 */
public record AdapterCheckpoint(
    AdapterConfig config, AdapterWeights weights, Map<String, DType> dtypes) {

  public static final String CONFIG_FILE = "adapter_config.json";
  public static final String WEIGHTS_FILE = "adapter_model.safetensors";

  public AdapterCheckpoint {
    dtypes = Map.copyOf(dtypes);
  }

  /** A checkpoint of freshly made weights, every tensor written as {@code dtype}. */
  public static AdapterCheckpoint of(AdapterConfig config, AdapterWeights weights, DType dtype) {
    Map<String, DType> all = new HashMap<>();
    tensors(config, weights).keySet().forEach(n -> all.put(n, dtype));
    return new AdapterCheckpoint(config, weights, all);
  }

  /**
   * Reads the adapter in {@code dir} for a base model of config {@code model}.
   *
   * @throws FormatException naming the file and every problem found (missing file, bad JSON,
   *     missing, unexpected or misshapen tensors, unsupported settings)
   */
  public static AdapterCheckpoint read(Path dir, ModelConfig model) {
    Path configPath = dir.resolve(CONFIG_FILE);
    AdapterConfig config = AdapterConfig.parse(readAll(configPath), configPath.toString());
    Path weightsPath = dir.resolve(WEIGHTS_FILE);
    if (!Files.isRegularFile(weightsPath)) {
      throw new FormatException(
          FormatException.Reason.MALFORMED,
          weightsPath.toString(),
          Files.isRegularFile(dir.resolve("adapter_model.bin"))
              ? "missing: only a torch pickle adapter_model.bin is present; convert it to safetensors"
              : "missing: the adapter directory has no weights file");
    }
    try (SafetensorsFile file = SafetensorsFile.open(weightsPath)) {
      AdapterLayout layout =
          AdapterLayout.validate(config, file.header(), model, weightsPath.toString());
      Map<String, DType> dtypes = new LinkedHashMap<>();
      for (TensorInfo t : file.header().tensors()) {
        dtypes.put(t.name(), t.dtype());
      }
      return new AdapterCheckpoint(config, weights(config, layout, file), dtypes);
    }
  }

  private static AdapterWeights weights(
      AdapterConfig config, AdapterLayout layout, SafetensorsFile file) {
    Map<ModuleKey, LoraPair> modules = new HashMap<>();
    Map<ModuleKey, float[]> magnitudes = new HashMap<>();
    for (LoraTensors l : layout.loras()) {
      ModuleKey key = new ModuleKey(l.layer(), l.module());
      modules.put(key, pair(file, l));
      l.magnitude().ifPresent(m -> magnitudes.put(key, file.readFloats(m.name())));
    }
    return switch (layout.kind()) {
      case LORA -> new Lora(config.r(), config.scaling(), modules);
      case DORA -> new Dora(config.r(), config.scaling(), modules, magnitudes);
      case MIXLORA -> {
        Map<MixLora.ExpertKey, LoraPair> experts = new HashMap<>();
        for (LoraTensors l : layout.expertLoras()) {
          experts.put(new MixLora.ExpertKey(l.layer(), l.module(), l.expert()), pair(file, l));
        }
        Map<Integer, float[]> routers = new HashMap<>();
        for (int i = 0; i < layout.routerTensors().size(); i++) {
          routers.put(i, file.readFloats(layout.router(i).name()));
        }
        yield new MixLora(
            config.r(),
            config.scaling(),
            config.mixlora().orElseThrow().expertR(),
            config.expertScaling(),
            config.numExperts(),
            config.topK(),
            routers,
            modules,
            experts);
      }
    };
  }

  private static LoraPair pair(SafetensorsFile file, LoraTensors l) {
    TensorInfo a = l.a();
    TensorInfo b = l.b();
    return new LoraPair(
        (int) a.dim(0),
        (int) a.dim(1),
        (int) b.dim(0),
        file.readFloats(a.name()),
        file.readFloats(b.name()));
  }

  /** Writes {@code adapter_config.json} and {@code adapter_model.safetensors} into {@code dir}. */
  public void write(Path dir) {
    try {
      Files.createDirectories(dir);
      Files.write(dir.resolve(CONFIG_FILE), config.toJson());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir.resolve(CONFIG_FILE), e);
    }
    SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
    boolean legacyMagnitude =
        dtypes.keySet().stream().anyMatch(n -> n.endsWith(AdapterKeys.DORA_MAGNITUDE_LEGACY));
    for (var e : tensors(config, weights).entrySet()) {
      String name = e.getKey();
      if (legacyMagnitude && name.endsWith(AdapterKeys.DORA_MAGNITUDE)) {
        name = name + ".weight";
      }
      Tensor t = e.getValue();
      writer.addFloats(name, dtypes.getOrDefault(name, DType.F32), t.shape(), t.values());
    }
    writer.writeTo(dir.resolve(WEIGHTS_FILE));
  }

  private record Tensor(long[] shape, float[] values) {}

  // every tensor of the layout, by its name in the file
  private static Map<String, Tensor> tensors(AdapterConfig config, AdapterWeights w) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    boolean mix = w instanceof MixLora;
    for (var e : w.modules().entrySet()) {
      var p = e.getKey().projection();
      int layer = e.getKey().layer();
      LoraPair pair = e.getValue();
      String a =
          mix
              ? AdapterKeys.mixloraAttention(layer, p, AdapterKeys.LORA_A)
              : AdapterKeys.peft(layer, p, AdapterKeys.LORA_A);
      String b =
          mix
              ? AdapterKeys.mixloraAttention(layer, p, AdapterKeys.LORA_B)
              : AdapterKeys.peft(layer, p, AdapterKeys.LORA_B);
      out.put(a, new Tensor(new long[] {pair.rank(), pair.in()}, pair.a()));
      out.put(b, new Tensor(new long[] {pair.out(), pair.rank()}, pair.b()));
      if (w instanceof Dora d) {
        float[] m = d.magnitudes().get(e.getKey());
        out.put(
            AdapterKeys.peft(layer, p, AdapterKeys.DORA_MAGNITUDE),
            new Tensor(new long[] {m.length}, m));
      }
    }
    if (w instanceof MixLora m) {
      for (var e : m.routers().entrySet()) {
        out.put(
            AdapterKeys.mixloraRouter(e.getKey()),
            new Tensor(
                new long[] {m.numExperts(), e.getValue().length / m.numExperts()}, e.getValue()));
      }
      for (var e : m.experts().entrySet()) {
        var k = e.getKey();
        var p = k.projection();
        LoraPair pair = e.getValue();
        out.put(
            AdapterKeys.mixloraExpert(k.layer(), p, k.expert(), AdapterKeys.LORA_A),
            new Tensor(new long[] {pair.rank(), pair.in()}, pair.a()));
        out.put(
            AdapterKeys.mixloraExpert(k.layer(), p, k.expert(), AdapterKeys.LORA_B),
            new Tensor(new long[] {pair.out(), pair.rank()}, pair.b()));
      }
    }
    if (config.kind() == AdapterKind.DORA != w instanceof Dora) {
      throw new IllegalArgumentException(
          "adapter config kind "
              + config.kind()
              + " does not match weights "
              + w.getClass().getSimpleName());
    }
    return out;
  }

  static byte[] readAll(Path path) {
    try {
      return Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw new FormatException(
          FormatException.Reason.MALFORMED, path.toString(), "missing: no such file");
    } catch (IOException e) {
      throw new FormatException(
          FormatException.Reason.MALFORMED, path.toString(), "cannot be read: " + e.getMessage());
    }
  }
}
