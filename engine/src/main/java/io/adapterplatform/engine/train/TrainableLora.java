package io.adapterplatform.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.adapterplatform.engine.adapter.LoraPair;
import io.adapterplatform.engine.adapter.ModuleKey;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDims;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A trainable LoRA or DoRA: per targeted (layer, projection) A [r, in], B [out, r] and, for DoRA,
 * the magnitude m [out].
 *
 * <p>LoRA: {@code y = W x + s·B A x}. DoRA: {@code y = m / ‖W + s·B A‖ · (W x + s·B A x)}, the norm
 * per output feature; as PEFT does (DoRA paper §4.3) the norm is treated as a constant in the
 * backward pass, so gradients reach m, A and B through the numerator and m only.
 */
public final class TrainableLora implements TrainableAdapter {

  private final LoraSpec spec;
  private final NDArray[][] a;
  private final NDArray[][] b;
  private final NDArray[][] magnitude;
  private final List<NDArray> parameters = new ArrayList<>();
  private final String prefix;

  private TrainableLora(LoraSpec spec, int layers, String prefix) {
    this.spec = spec;
    int projections = Projection.values().length;
    this.a = new NDArray[layers][projections];
    this.b = new NDArray[layers][projections];
    this.magnitude = new NDArray[layers][projections];
    this.prefix = prefix;
  }

  /**
   * A fresh adapter as PEFT initialises it (A Kaiming-uniform, B zero, DoRA magnitude = row norms
   * of W), drawn from {@code seed} in layer, then projection order.
   */
  public static TrainableLora init(BaseModel model, LoraSpec spec, long seed, NDManager manager) {
    return init(model, spec, new SplittableRandom(seed), manager, PEFT_PREFIX);
  }

  /** PEFT's prefix of layer tensors. */
  static final String PEFT_PREFIX = "base_model.model.model.layers.";

  static TrainableLora init(
      BaseModel model, LoraSpec spec, SplittableRandom rng, NDManager manager, String prefix) {
    ModelDims dims = model.dims();
    var lora = new TrainableLora(spec, dims.numLayers(), prefix);
    for (int l = 0; l < dims.numLayers(); l++) {
      for (Projection p : Projection.values()) {
        if (!spec.targets().contains(p)) {
          continue;
        }
        int i = p.ordinal();
        lora.a[l][i] = lora.track(AdapterInit.loraA(manager, spec.rank(), dims.inFeatures(p), rng));
        lora.b[l][i] = lora.track(AdapterInit.loraB(manager, dims.outFeatures(p), spec.rank()));
        if (spec.dora()) {
          NDArray m = AdapterInit.doraMagnitude(model.layer(l).weight(p));
          m.attach(manager);
          lora.magnitude[l][i] = lora.track(m);
        }
      }
    }
    return lora;
  }

  /**
   * A frozen LoRA (no trainable parameters) holding {@code modules}' values: the attention LoRA of
   * a MixLoRA whose router alone trains.
   */
  static TrainableLora frozen(
      LoraSpec spec,
      int layers,
      Map<ModuleKey, LoraPair> modules,
      NDManager manager,
      String prefix) {
    var lora = new TrainableLora(spec, layers, prefix);
    for (var e : modules.entrySet()) {
      int l = e.getKey().layer();
      int i = e.getKey().projection().ordinal();
      LoraPair pair = e.getValue();
      lora.a[l][i] = manager.create(pair.a(), new Shape(pair.rank(), pair.in()));
      lora.b[l][i] = manager.create(pair.b(), new Shape(pair.out(), pair.rank()));
    }
    return lora;
  }

  private NDArray track(NDArray parameter) {
    parameter.setRequiresGradient(true);
    parameters.add(parameter);
    return parameter;
  }

  public LoraSpec spec() {
    return spec;
  }

  @Override
  public List<NDArray> parameters() {
    return List.copyOf(parameters);
  }

  @Override
  public boolean adapts(int layer, Projection p) {
    return a[layer][p.ordinal()] != null;
  }

  @Override
  public double dropout() {
    return spec.dropout();
  }

  /**
   * With dropout ({@code loraInput} ≠ x) DoRA follows PEFT's {@code DoraLinearLayer}: {@code y = W
   * x + (m/‖W + s·BA‖ − 1)·W x_d + m/‖W + s·BA‖ · s·B A x_d}; without, both reduce to {@code m/‖W +
   * s·BA‖ · (W x + s·B A x)}.
   */
  @Override
  public NDArray linear(
      int layer, Projection p, NDArray x, NDArray loraInput, NDArray base, NDArray w) {
    int i = p.ordinal();
    if (a[layer][i] == null) {
      return base;
    }
    float s = (float) spec.scaling();
    // s·B A x_d, [rows, out]
    NDArray delta =
        loraInput
            .matMul(Step.transposed(a[layer][i], x))
            .matMul(Step.transposed(b[layer][i], x))
            .mul(Step.scalar(x, s));
    if (magnitude[layer][i] == null) {
      return base.add(delta);
    }
    // DoRA: m / ‖W + s·B A‖ (row norm, detached as in PEFT), [out]
    NDArray norm =
        Step.owned(b[layer][i].matMul(a[layer][i]), x)
            .mul(Step.scalar(x, s))
            .add(w)
            .norm(new int[] {1})
            .stopGradient();
    if (loraInput == x) {
      return base.add(delta).mul(magnitude[layer][i]).div(norm);
    }
    NDArray droppedBase = loraInput.matMul(Step.transposed(w, x));
    return base.add(droppedBase.add(delta).mul(magnitude[layer][i]).div(norm).sub(droppedBase));
  }

  NDArray a(int layer, Projection p) {
    return a[layer][p.ordinal()];
  }

  NDArray b(int layer, Projection p) {
    return b[layer][p.ordinal()];
  }

  /** DoRA magnitude [out], or null for plain LoRA. */
  NDArray magnitude(int layer, Projection p) {
    return magnitude[layer][p.ordinal()];
  }

  int layers() {
    return a.length;
  }

  @Override
  public Map<String, NDArray> namedTensors() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (int l = 0; l < a.length; l++) {
      for (Projection p : Projection.values()) {
        int i = p.ordinal();
        if (a[l][i] == null) {
          continue;
        }
        String name = prefix + l + "." + p.path() + ".";
        out.put(name + "lora_A.weight", a[l][i]);
        out.put(name + "lora_B.weight", b[l][i]);
        if (magnitude[l][i] != null) {
          out.put(name + "lora_magnitude_vector", magnitude[l][i]);
        }
      }
    }
    return out;
  }
}
