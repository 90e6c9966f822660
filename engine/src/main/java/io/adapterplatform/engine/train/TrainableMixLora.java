package io.adapterplatform.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.adapterplatform.engine.adapter.AdapterCheckpoint;
import io.adapterplatform.engine.adapter.LoraPair;
import io.adapterplatform.engine.adapter.MixLora;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.model.AdapterHook;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.LayerWeights;
import io.adapterplatform.engine.model.ModelDims;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * A trainable MixLoRA: per layer a router Wg [experts, hidden] and, per expert, LoRAs on gate, up
 * and down projections; optionally plain LoRAs on attention projections.
 *
 * <p>The FFN block is the design's (MixLoRA with W2 hoisted): {@code p = softmax(Wg x)}, top-k
 * renormalised to weights w_j; {@code h_j = silu(g + ΔW1_j x) · (u + ΔW3_j x)} with g = W1 x and u
 * = W3 x computed once; {@code out = W2 (Σ_j w_j h_j) + Σ_j w_j ΔW2_j h_j}. Gradients reach the
 * router through the top-k weights and the load-balance loss, and each expert through the tokens
 * routed to it.
 */
public final class TrainableMixLora implements TrainableAdapter {

  private static final Projection[] FFN = {Projection.GATE, Projection.UP, Projection.DOWN};

  private final MixLoraSpec spec;
  private final NDArray[] router;
  private final NDArray[][][] expertA; // [layer][expert][gate, up, down]
  private final NDArray[][][] expertB;
  private final TrainableLora attention; // null without attention targets
  private final List<NDArray> parameters = new ArrayList<>();
  private final double expertScaling;
  private final boolean routerOnly;
  private AdapterCheckpoint source; // the input of a router-only MixLoRA

  private TrainableMixLora(MixLoraSpec spec, int layers, TrainableLora attention) {
    this(spec, layers, attention, spec.scaling(), false);
  }

  private TrainableMixLora(
      MixLoraSpec spec,
      int layers,
      TrainableLora attention,
      double expertScaling,
      boolean routerOnly) {
    this.spec = spec;
    this.expertScaling = expertScaling;
    this.routerOnly = routerOnly;
    this.router = new NDArray[layers];
    this.expertA = new NDArray[layers][spec.experts()][FFN.length];
    this.expertB = new NDArray[layers][spec.experts()][FFN.length];
    this.attention = attention;
  }

  /**
   * A fresh MixLoRA: routers N(0, router_init_range²), expert and attention LoRAs as PEFT (A
   * Kaiming-uniform, B zero), drawn from {@code seed}: routers and experts layer by layer, then the
   * attention LoRAs.
   */
  public static TrainableMixLora init(
      BaseModel model, MixLoraSpec spec, long seed, NDManager manager) {
    ModelDims dims = model.dims();
    var rng = new SplittableRandom(seed);
    NDArray[] routers = new NDArray[dims.numLayers()];
    NDArray[][][] as = new NDArray[dims.numLayers()][spec.experts()][FFN.length];
    NDArray[][][] bs = new NDArray[dims.numLayers()][spec.experts()][FFN.length];
    for (int l = 0; l < dims.numLayers(); l++) {
      routers[l] =
          AdapterInit.router(
              manager, spec.experts(), dims.hiddenSize(), spec.routerInitRange(), rng);
      for (int e = 0; e < spec.experts(); e++) {
        for (int f = 0; f < FFN.length; f++) {
          as[l][e][f] = AdapterInit.loraA(manager, spec.rank(), dims.inFeatures(FFN[f]), rng);
          bs[l][e][f] = AdapterInit.loraB(manager, dims.outFeatures(FFN[f]), spec.rank());
        }
      }
    }
    TrainableLora attention =
        spec.attentionTargets().isEmpty()
            ? null
            : TrainableLora.init(
                model,
                new LoraSpec(
                    spec.rank(),
                    spec.alpha(),
                    false,
                    false,
                    EnumSet.copyOf(spec.attentionTargets()),
                    spec.dropout()),
                rng,
                manager,
                "mixlora.layers.");
    var mix = new TrainableMixLora(spec, dims.numLayers(), attention);
    for (int l = 0; l < dims.numLayers(); l++) {
      mix.router[l] = mix.track(routers[l]);
      for (int e = 0; e < spec.experts(); e++) {
        for (int f = 0; f < FFN.length; f++) {
          mix.expertA[l][e][f] = mix.track(as[l][e][f]);
          mix.expertB[l][e][f] = mix.track(bs[l][e][f]);
        }
      }
    }
    if (attention != null) {
      mix.parameters.addAll(attention.parameters());
    }
    return mix;
  }

  /**
   * An existing MixLoRA whose router alone trains (a ROUTER job): the routers start from {@code
   * weights}' values and are the only parameters; experts and attention LoRA hold {@code weights}'
   * values, frozen. An expert without a pair on some FFN projection uses the base projection there,
   * as in serving.
   *
   * @param spec experts, top-k, load-balance coefficient, jitter, attention targets and dropout of
   *     the job (rank, alpha and router init range are not used: the values come from {@code
   *     weights})
   */
  static TrainableMixLora routerOnly(
      AdapterCheckpoint source,
      MixLoraSpec spec,
      LoraSpec attentionSpec,
      int layers,
      NDManager manager) {
    MixLora weights = (MixLora) source.weights();
    TrainableLora attention =
        weights.modules().isEmpty()
            ? null
            : TrainableLora.frozen(
                attentionSpec, layers, weights.modules(), manager, "mixlora.layers.");
    var mix = new TrainableMixLora(spec, layers, attention, weights.expertScaling(), true);
    mix.source = source;
    int hidden = -1;
    for (int l = 0; l < layers; l++) {
      float[] router = weights.routers().get(l);
      if (router == null) {
        throw new IllegalArgumentException("the MixLoRA has no router for layer " + l);
      }
      hidden = router.length / weights.numExperts();
      mix.router[l] = mix.track(manager.create(router, new Shape(weights.numExperts(), hidden)));
    }
    for (var e : weights.experts().entrySet()) {
      MixLora.ExpertKey k = e.getKey();
      LoraPair pair = e.getValue();
      int f = ffnIndex(k.projection());
      mix.expertA[k.layer()][k.expert()][f] =
          manager.create(pair.a(), new Shape(pair.rank(), pair.in()));
      mix.expertB[k.layer()][k.expert()][f] =
          manager.create(pair.b(), new Shape(pair.out(), pair.rank()));
    }
    return mix;
  }

  /** Whether only the router trains (experts and attention LoRA frozen). */
  public boolean routerOnly() {
    return routerOnly;
  }

  /** The adapter a router-only MixLoRA was loaded from (null for a fresh one). */
  AdapterCheckpoint source() {
    return source;
  }

  private NDArray track(NDArray parameter) {
    parameter.setRequiresGradient(true);
    parameters.add(parameter);
    return parameter;
  }

  public MixLoraSpec spec() {
    return spec;
  }

  @Override
  public List<NDArray> parameters() {
    return List.copyOf(parameters);
  }

  @Override
  public boolean adapts(int layer, Projection p) {
    return attention != null && attention.adapts(layer, p);
  }

  @Override
  public NDArray linear(
      int layer, Projection p, NDArray x, NDArray loraInput, NDArray base, NDArray w) {
    return adapts(layer, p) ? attention.linear(layer, p, x, loraInput, base, w) : base;
  }

  /** The dropout of the attention LoRA's input (the experts' is {@code spec().dropout()}). */
  @Override
  public double dropout() {
    return attention == null ? spec.dropout() : attention.spec().dropout();
  }

  /**
   * The MixLoRA FFN of one job's rows (MixLoRA eq. with W2 hoisted).
   *
   * @param x the (jittered) post-attention-normalised rows [rows, hidden]
   * @param g W1 x [rows, intermediate], u W3 x [rows, intermediate], computed once for the whole
   *     batch
   * @param routerLogitsSink receives this layer's router logits [rows, experts] for the
   *     load-balance loss
   * @param dropout the job's dropout generator for this pass, null without dropout (evaluation): as
   *     in the reference, each expert LoRA drops its own input (gate and up independently, down on
   *     the expert's hidden state), masks drawn expert by expert in the order gate, up, down
   */
  NDArray ffn(
      int layer,
      NDArray x,
      NDArray g,
      NDArray u,
      LayerWeights w,
      List<NDArray> routerLogitsSink,
      RandomGenerator dropout) {
    double pDrop = spec.dropout();
    int rows = Math.toIntExact(x.getShape().get(0));
    int experts = spec.experts();
    int k = spec.topK();
    float s = (float) expertScaling;
    NDManager manager = x.getManager();
    NDArray logits = x.matMul(Step.transposed(router[layer], x)); // [rows, experts]
    routerLogitsSink.add(logits);
    NDArray probs = logits.softmax(-1);

    // The selection itself carries no gradient: take it in Java, then gather the differentiable
    // weights.
    float[] p = probs.stopGradient().toType(DataType.FLOAT32, false).toFloatArray();
    long[] chosen = new long[rows * k];
    List<List<Integer>> rowsOf = new ArrayList<>();
    List<List<Integer>> slotOf = new ArrayList<>();
    for (int e = 0; e < experts; e++) {
      rowsOf.add(new ArrayList<>());
      slotOf.add(new ArrayList<>());
    }
    for (int r = 0; r < rows; r++) {
      int[] top = LoadBalanceLoss.topIndices(p, r * experts, experts, k);
      for (int j = 0; j < k; j++) {
        chosen[r * k + j] = top[j];
        rowsOf.get(top[j]).add(r);
        slotOf.get(top[j]).add(r * k + j);
      }
    }
    NDArray selected = probs.gather(manager.create(chosen, new Shape(rows, k)), 1); // [rows, k]
    NDArray weights =
        selected.div(selected.sum(new int[] {1}, true)).reshape(rows * k, 1); // renormalised

    NDArray mixed = null; // Σ_j w_j h_j, [rows, intermediate]
    NDArray downDelta = null; // Σ_j w_j ΔW2_j h_j, [rows, hidden]
    for (int e = 0; e < experts; e++) {
      List<Integer> mine = rowsOf.get(e);
      if (mine.isEmpty()) {
        continue;
      }
      long[] idx = mine.stream().mapToLong(Integer::longValue).toArray();
      long[] slots = slotOf.get(e).stream().mapToLong(Integer::longValue).toArray();
      NDArray rowIndex = manager.create(idx);
      NDArray xe = x.get(new NDIndex("{}", rowIndex));
      NDArray ge = plus(g.get(new NDIndex("{}", rowIndex)), xe, layer, e, 0, s, pDrop, dropout);
      NDArray ue = plus(u.get(new NDIndex("{}", rowIndex)), xe, layer, e, 1, s, pDrop, dropout);
      NDArray we = weights.get(new NDIndex("{}", manager.create(slots))); // [n_e, 1]
      // w_j h_j, [n_e, intermediate]; dropping w_j h_j equals w_j times dropped h_j (same mask)
      NDArray he = AdapterHook.silu(ge).mul(ue).mul(we);
      // scatter back to the job's rows with a one-hot [rows, n_e] matrix (differentiable index-add)
      NDArray scatter = oneHotColumns(manager, idx, rows);
      NDArray hPart = scatter.matMul(he);
      mixed = mixed == null ? hPart : mixed.add(hPart);
      if (expertA[layer][e][2] != null) {
        NDArray dPart = scatter.matMul(lora(Dropout.apply(he, pDrop, dropout), layer, e, 2, s));
        downDelta = downDelta == null ? dPart : downDelta.add(dPart);
      }
    }
    NDArray out = mixed.matMul(Step.transposed(w.down(), mixed));
    return downDelta == null ? out : out.add(downDelta);
  }

  /** {@code base} + expert e's LoRA term on FFN projection f of x; base where it has none. */
  private NDArray plus(
      NDArray base,
      NDArray x,
      int layer,
      int e,
      int f,
      float s,
      double pDrop,
      RandomGenerator dropout) {
    if (expertA[layer][e][f] == null) {
      return base;
    }
    return base.add(lora(Dropout.apply(x, pDrop, dropout), layer, e, f, s));
  }

  /** s·B A x for expert e's LoRA on FFN projection f. */
  private NDArray lora(NDArray x, int layer, int e, int f, float s) {
    return x.matMul(Step.transposed(expertA[layer][e][f], x))
        .matMul(Step.transposed(expertB[layer][e][f], x))
        .mul(Step.scalar(x, s));
  }

  /** [rows, n]: column c is the unit vector of row idx[c]. */
  private static NDArray oneHotColumns(NDManager manager, long[] idx, int rows) {
    float[] m = new float[rows * idx.length];
    for (int c = 0; c < idx.length; c++) {
      m[(int) idx[c] * idx.length + c] = 1f;
    }
    return manager.create(m, new Shape(rows, idx.length));
  }

  int layers() {
    return router.length;
  }

  NDArray router(int layer) {
    return router[layer];
  }

  /** Expert e's A on gate, up or down (the FFN projections) of {@code layer}. */
  NDArray expertA(int layer, int e, Projection p) {
    return expertA[layer][e][ffnIndex(p)];
  }

  NDArray expertB(int layer, int e, Projection p) {
    return expertB[layer][e][ffnIndex(p)];
  }

  /** The attention LoRA, or null without attention targets. */
  TrainableLora attention() {
    return attention;
  }

  private static int ffnIndex(Projection p) {
    for (int f = 0; f < FFN.length; f++) {
      if (FFN[f] == p) {
        return f;
      }
    }
    throw new IllegalArgumentException(p.module() + " is not an FFN projection");
  }

  @Override
  public Map<String, NDArray> namedTensors() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (int l = 0; l < router.length; l++) {
      out.put("mixlora.layers." + l + ".mlp.moe_gate.weight", router[l]);
      for (int e = 0; e < spec.experts(); e++) {
        for (int f = 0; f < FFN.length; f++) {
          if (expertA[l][e][f] == null) {
            continue;
          }
          String name = "mixlora.layers." + l + ".mlp." + FFN[f].module() + ".experts." + e + ".";
          out.put(name + "lora_A.weight", expertA[l][e][f]);
          out.put(name + "lora_B.weight", expertB[l][e][f]);
        }
      }
    }
    if (attention != null) {
      out.putAll(attention.namedTensors());
    }
    return out;
  }
}
