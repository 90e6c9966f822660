package io.adapterplatform.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.adapterplatform.engine.adapter.AdapterCheckpoint;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.adapter.Dora;
import io.adapterplatform.engine.adapter.Lora;
import io.adapterplatform.engine.adapter.LoraPair;
import io.adapterplatform.engine.adapter.MixLora;
import io.adapterplatform.engine.adapter.ModuleKey;
import io.adapterplatform.engine.format.AdapterConfig;
import io.adapterplatform.engine.format.AdapterKeys;
import io.adapterplatform.engine.format.DType;
import io.adapterplatform.engine.format.Projection;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Exports a trained adapter: LoRA and DoRA in PEFT layout, MixLoRA in the MixLoRA reference layout
 * (safetensors instead of the reference's torch pickle), through the format package's writers. The
 * exported directory loads back into the same values, so serving computes what training optimised.
 */
public final class AdapterExport {

  private AdapterExport() {}

  /**
   * Writes {@code adapter_config.json} and {@code adapter_model.safetensors} (F32) into {@code
   * dir}.
   */
  public static AdapterCheckpoint write(TrainableAdapter adapter, String baseModel, Path dir) {
    AdapterCheckpoint checkpoint =
        adapter instanceof TrainableMixLora mix && mix.routerOnly()
            ? routerTrained(mix)
            : AdapterCheckpoint.of(config(adapter, baseModel), weights(adapter), DType.F32);
    checkpoint.write(dir);
    return checkpoint;
  }

  /**
   * A ROUTER job's result: the input's config and tensors with the trained routers (F32, the
   * precision they trained in); every other tensor keeps the input's values and dtype, so its bytes
   * are the input's (widening F16/BF16 to F32 and rounding back is exact).
   */
  private static AdapterCheckpoint routerTrained(TrainableMixLora mix) {
    AdapterCheckpoint source = mix.source();
    MixLora in = (MixLora) source.weights();
    Map<Integer, float[]> routers = new LinkedHashMap<>();
    Map<String, DType> dtypes = new LinkedHashMap<>(source.dtypes());
    for (int l = 0; l < mix.layers(); l++) {
      routers.put(l, floats(mix.router(l)));
      dtypes.put(AdapterKeys.mixloraRouter(l), DType.F32);
    }
    var weights =
        new MixLora(
            in.rank(),
            in.scaling(),
            in.expertRank(),
            in.expertScaling(),
            in.numExperts(),
            in.topK(),
            routers,
            in.modules(),
            in.experts());
    return new AdapterCheckpoint(source.config(), weights, dtypes);
  }

  /** The adapter config describing {@code adapter}. */
  public static AdapterConfig config(TrainableAdapter adapter, String baseModel) {
    return switch (adapter) {
      case TrainableLora lora -> {
        LoraSpec s = lora.spec();
        yield new AdapterConfig(
            AdapterConfig.PEFT_LORA,
            "CAUSAL_LM",
            baseModel,
            s.rank(),
            s.alpha(),
            s.dropout(),
            modules(s.targets().stream().sorted().toList()),
            s.rsLora(),
            s.dora(),
            Optional.empty());
      }
      case TrainableMixLora mix -> {
        MixLoraSpec s = mix.spec();
        List<Projection> targets = new ArrayList<>(s.attentionTargets().stream().sorted().toList());
        targets.addAll(List.of(Projection.GATE, Projection.UP, Projection.DOWN));
        var settings =
            new AdapterConfig.MixLoraSettings(
                AdapterConfig.ROUTING_MIXLORA,
                s.experts(),
                s.topK(),
                s.auxLossCoef(),
                s.routerInitRange(),
                s.jitterNoise(),
                "silu",
                s.rank(),
                s.alpha(),
                s.dropout(),
                false);
        yield new AdapterConfig(
            AdapterConfig.PEFT_MIXLORA,
            "CAUSAL_LM",
            baseModel,
            s.rank(),
            s.alpha(),
            s.dropout(),
            modules(targets),
            false,
            false,
            Optional.of(settings));
      }
    };
  }

  /** A host-side copy of the adapter's current values, as the engine's adapter records. */
  public static AdapterWeights weights(TrainableAdapter adapter) {
    return switch (adapter) {
      case TrainableLora lora -> {
        Map<ModuleKey, LoraPair> modules = pairs(lora);
        if (!lora.spec().dora()) {
          yield new Lora(lora.spec().rank(), lora.spec().scaling(), modules);
        }
        Map<ModuleKey, float[]> magnitudes = new LinkedHashMap<>();
        for (ModuleKey key : modules.keySet()) {
          magnitudes.put(key, floats(lora.magnitude(key.layer(), key.projection())));
        }
        yield new Dora(lora.spec().rank(), lora.spec().scaling(), modules, magnitudes);
      }
      case TrainableMixLora mix -> {
        MixLoraSpec s = mix.spec();
        Map<Integer, float[]> routers = new LinkedHashMap<>();
        Map<MixLora.ExpertKey, LoraPair> experts = new LinkedHashMap<>();
        for (int l = 0; l < mix.layers(); l++) {
          routers.put(l, floats(mix.router(l)));
          for (Projection p : List.of(Projection.GATE, Projection.UP, Projection.DOWN)) {
            for (int e = 0; e < s.experts(); e++) {
              if (mix.expertA(l, e, p) == null) {
                continue; // this expert uses the base projection here
              }
              experts.put(
                  new MixLora.ExpertKey(l, p, e), pair(mix.expertA(l, e, p), mix.expertB(l, e, p)));
            }
          }
        }
        Map<ModuleKey, LoraPair> modules =
            mix.attention() == null ? Map.of() : pairs(mix.attention());
        yield new MixLora(
            s.rank(),
            s.scaling(),
            s.rank(),
            s.scaling(),
            s.experts(),
            s.topK(),
            routers,
            modules,
            experts);
      }
    };
  }

  private static Map<ModuleKey, LoraPair> pairs(TrainableLora lora) {
    Map<ModuleKey, LoraPair> out = new LinkedHashMap<>();
    for (int l = 0; l < lora.layers(); l++) {
      for (Projection p : Projection.values()) {
        if (lora.adapts(l, p)) {
          out.put(new ModuleKey(l, p), pair(lora.a(l, p), lora.b(l, p)));
        }
      }
    }
    return out;
  }

  private static LoraPair pair(NDArray a, NDArray b) {
    int rank = Math.toIntExact(a.getShape().get(0));
    int in = Math.toIntExact(a.getShape().get(1));
    int out = Math.toIntExact(b.getShape().get(0));
    return new LoraPair(rank, in, out, floats(a), floats(b));
  }

  private static float[] floats(NDArray array) {
    return array.stopGradient().toType(DataType.FLOAT32, false).toFloatArray();
  }

  private static List<String> modules(List<Projection> projections) {
    return projections.stream().map(Projection::module).toList();
  }
}
