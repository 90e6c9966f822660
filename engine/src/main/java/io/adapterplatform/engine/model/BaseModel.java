package io.adapterplatform.engine.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.adapterplatform.engine.format.Projection;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A LLaMA-family decoder (LLaMA, Mistral, Qwen2-style without biases) on DJL, with frozen fp32
 * weights loaded once per process and shared by every adapter and job that uses it.
 *
 * <p>One forward pass handles the rows of several sequences at once ({@link Segment}s): prefill of
 * new sequences, one decode step of many cached sequences, or full sequences for scoring and
 * training. Every projection goes through an {@link AdapterHook}, which adds each row's own adapter
 * delta. Attention is taken per sequence (it depends only on the sequence, never on the adapter).
 *
 * <p>Thread-safety: the weights are read-only; concurrent forwards are fine as long as each uses
 * its own step manager and its own caches.
 */
public final class BaseModel implements AutoCloseable {

  /** Reads one weight tensor as fp32 values in row-major order, checking it has {@code shape}. */
  @FunctionalInterface
  public interface WeightSource {
    float[] read(String name, long[] shape);
  }

  private final ModelDims dims;
  private final NDManager manager;
  private final NDArray embed;
  private final NDArray lmHead;
  private final NDArray finalNorm;
  private final List<LayerWeights> layers;
  private final float[] invFreq;

  private BaseModel(
      ModelDims dims,
      NDManager manager,
      NDArray embed,
      NDArray lmHead,
      NDArray finalNorm,
      List<LayerWeights> layers) {
    this.dims = dims;
    this.manager = manager;
    this.embed = embed;
    this.lmHead = lmHead;
    this.finalNorm = finalNorm;
    this.layers = List.copyOf(layers);
    this.invFreq = new float[dims.headDim() / 2];
    for (int i = 0; i < invFreq.length; i++) {
      // As Hugging Face: computed in fp32, 1 / theta^(2i/d).
      invFreq[i] = (float) (1.0 / Math.pow(dims.ropeTheta(), (2.0 * i) / dims.headDim()));
    }
  }

  /**
   * Builds a model from named weights (Hugging Face names: {@code model.embed_tokens.weight},
   * {@code model.layers.{i}.self_attn.q_proj.weight}, ...). The weights live on {@code device}.
   */
  public static BaseModel fromWeights(ModelDims dims, WeightSource source, Device device) {
    NDManager manager = NDManager.newBaseManager(device);
    try {
      int h = dims.hiddenSize();
      NDArray embed = load(manager, source, "model.embed_tokens.weight", dims.vocabSize(), h);
      NDArray norm = load(manager, source, "model.norm.weight", h);
      NDArray head =
          dims.tieWordEmbeddings()
              ? embed
              : load(manager, source, "lm_head.weight", dims.vocabSize(), h);
      List<LayerWeights> layers = new ArrayList<>();
      for (int i = 0; i < dims.numLayers(); i++) {
        String prefix = "model.layers." + i + ".";
        layers.add(
            new LayerWeights(
                load(manager, source, prefix + "input_layernorm.weight", h),
                projection(manager, source, dims, prefix, Projection.Q),
                projection(manager, source, dims, prefix, Projection.K),
                projection(manager, source, dims, prefix, Projection.V),
                projection(manager, source, dims, prefix, Projection.O),
                load(manager, source, prefix + "post_attention_layernorm.weight", h),
                projection(manager, source, dims, prefix, Projection.GATE),
                projection(manager, source, dims, prefix, Projection.UP),
                projection(manager, source, dims, prefix, Projection.DOWN)));
      }
      return new BaseModel(dims, manager, embed, head, norm, layers);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /** The Hugging Face name of a projection's weight in layer {@code layer}. */
  public static String weightName(int layer, Projection p) {
    return "model.layers." + layer + "." + p.path() + ".weight";
  }

  private static NDArray projection(
      NDManager m, WeightSource s, ModelDims dims, String prefix, Projection p) {
    int[] shape = dims.projectionShape(p);
    return load(m, s, prefix + p.path() + ".weight", shape[0], shape[1]);
  }

  private static NDArray load(NDManager m, WeightSource source, String name, long... shape) {
    float[] values = source.read(name, shape);
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    if (values.length != n) {
      throw new IllegalArgumentException(
          name + ": expected " + n + " values, got " + values.length);
    }
    return m.create(values, new Shape(shape));
  }

  public ModelDims dims() {
    return dims;
  }

  /** The process-lifetime manager holding the weights; step managers are made from it. */
  public NDManager manager() {
    return manager;
  }

  public Device device() {
    return manager.getDevice();
  }

  public LayerWeights layer(int i) {
    return layers.get(i);
  }

  public NDArray embeddings() {
    return embed;
  }

  public NDArray lmHead() {
    return lmHead;
  }

  public NDArray finalNorm() {
    return finalNorm;
  }

  /**
   * Logits [rows, vocab] of every row: {@code tokens} are the rows of all {@code segments}
   * concatenated in order. Caches of the segments are extended by their rows.
   */
  public NDArray forward(NDManager step, int[] tokens, List<Segment> segments, AdapterHook hook) {
    return logits(hidden(step, tokens, segments, hook));
  }

  /**
   * Logits [segments, vocab] of the last row of each segment: the call a decode step or a prefill
   * uses (one decode step of B cached sequences is B segments of length 1).
   */
  public NDArray forwardLast(
      NDManager step, int[] tokens, List<Segment> segments, AdapterHook hook) {
    NDArray h = hidden(step, tokens, segments, hook);
    long[] last = new long[segments.size()];
    int end = 0;
    for (int s = 0; s < segments.size(); s++) {
      end += segments.get(s).length();
      last[s] = end - 1;
    }
    return logits(h.get(new NDIndex("{}", step.create(last))));
  }

  /** lm_head over final-normalised hidden rows [rows, hidden] → [rows, vocab]. */
  public NDArray logits(NDArray hidden) {
    return AdapterHook.project(hidden, lmHead);
  }

  /** Final-normalised hidden states [rows, hidden] of every row. */
  public NDArray hidden(NDManager step, int[] tokens, List<Segment> segments, AdapterHook hook) {
    Objects.requireNonNull(hook, "hook");
    int rows = 0;
    for (Segment s : segments) {
      rows += s.length();
    }
    if (rows != tokens.length) {
      throw new IllegalArgumentException(
          "segments cover " + rows + " rows but " + tokens.length + " tokens were given");
    }
    long[] ids = new long[tokens.length];
    for (int i = 0; i < tokens.length; i++) {
      if (tokens[i] < 0 || tokens[i] >= dims.vocabSize()) {
        throw new IllegalArgumentException(
            "token id " + tokens[i] + " is outside the vocabulary [0, " + dims.vocabSize() + ")");
      }
      ids[i] = tokens[i];
    }
    CachePlan plan = CachePlan.of(step, segments, rows);
    NDArray[] rope = rotary(step, segments, rows);
    NDArray x = embed.get(step, new NDIndex("{}", step.create(ids)));
    for (int l = 0; l < layers.size(); l++) {
      x = layer(step, l, x, segments, rope, hook, plan);
    }
    for (Segment s : segments) {
      if (s.cache() != null) {
        s.cache().advance(s.length());
      }
    }
    return rmsNorm(x, finalNorm);
  }

  private NDArray layer(
      NDManager step,
      int l,
      NDArray x,
      List<Segment> segments,
      NDArray[] rope,
      AdapterHook hook,
      CachePlan plan) {
    LayerWeights w = layers.get(l);
    int rows = (int) x.getShape().get(0);
    int hd = dims.headDim();
    NDArray h = rmsNorm(x, w.inputNorm());
    NDArray q =
        applyRope(hook.linear(l, Projection.Q, h, w.q()).reshape(rows, dims.numHeads(), hd), rope);
    NDArray k =
        applyRope(
            hook.linear(l, Projection.K, h, w.k()).reshape(rows, dims.numKvHeads(), hd), rope);
    NDArray v = hook.linear(l, Projection.V, h, w.v()).reshape(rows, dims.numKvHeads(), hd);
    plan.write(l, k, v);
    NDArray attn;
    if (plan.decodeBatch()) {
      attn = decodeAttention(l, q, plan);
    } else if (plan.mixed()) {
      // continuous batching: the decoding sequences in one batched attention, the others one by one
      NDList parts = attention(step, l, q, k, v, segments, plan);
      parts.addFirst(decodeAttention(l, plan.decodeRows(q), plan));
      attn = plan.reorder(NDArrays.concat(parts, 0));
    } else {
      NDList parts = attention(step, l, q, k, v, segments, plan);
      attn = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0);
    }
    x = x.add(hook.linear(l, Projection.O, attn, w.o()));
    return x.add(hook.ffn(l, rmsNorm(x, w.postNorm()), w));
  }

  /**
   * One decode step of B sequences of one store: a fixed number of operations for any B. q [B,
   * heads, hd]; keys and values were written to the store already.
   */
  private NDArray decodeAttention(int l, NDArray q, CachePlan plan) {
    int hd = dims.headDim();
    int kvHeads = dims.numKvHeads();
    int groups = dims.numHeads() / kvHeads;
    int b = (int) q.getShape().get(0);
    NDArray kb = plan.read(plan.store().keys(l)); // [B, kvHeads, L, hd]
    NDArray vb = plan.read(plan.store().values(l));
    NDArray scores =
        q.reshape(b, kvHeads, groups, hd)
            .matMul(kb.transpose(0, 1, 3, 2))
            .mul((float) (1.0 / Math.sqrt(hd)))
            .add(plan.mask()); // [B, kvHeads, groups, L]
    return scores.softmax(-1).matMul(vb).reshape(b, (long) dims.numHeads() * hd);
  }

  /**
   * Causal grouped-query attention of each segment the plan does not cover, in order; q [rows,
   * heads, hd], k, v [rows, kvHeads, hd]. Returns the attention rows [n, heads·hd] of those
   * segments in order, one array per segment or per run of consecutive segments taken together.
   *
   * <p>A run of consecutive fresh segments (no cache) of equal length, e.g. the padded or
   * fixed-length sequences of a training micro-batch, is taken as one batched attention [S,
   * kvHeads, groups·n, hd]: the same arithmetic per sequence, but a fixed number of operations for
   * any S, forward and backward.
   */
  private NDList attention(
      NDManager step,
      int l,
      NDArray q,
      NDArray k,
      NDArray v,
      List<Segment> segments,
      CachePlan plan) {
    NDList outs = new NDList(segments.size());
    int start = 0;
    for (int i = 0; i < segments.size(); i++) {
      Segment s = segments.get(i);
      int n = s.length();
      if (plan.covers(i)) {
        start += n;
        continue;
      }
      int run = 1; // segments i .. i+run-1 go together
      if (s.cache() == null) {
        while (i + run < segments.size()
            && segments.get(i + run).cache() == null
            && segments.get(i + run).length() == n
            && !plan.covers(i + run)) {
          run++;
        }
      }
      if (run > 1) {
        outs.add(freshAttention(step, l, q, k, v, start, run, n));
        start += run * n;
        i += run - 1;
        continue;
      }
      outs.add(segmentAttention(step, l, q, k, v, start, s));
      start += n;
    }
    return outs;
  }

  /**
   * Attention of {@code count} fresh sequences of {@code n} rows each, from row {@code start} on.
   */
  private NDArray freshAttention(
      NDManager step, int l, NDArray q, NDArray k, NDArray v, int start, int count, int n) {
    int hd = dims.headDim();
    int kvHeads = dims.numKvHeads();
    int groups = dims.numHeads() / kvHeads;
    NDIndex rows = new NDIndex(start + ":" + (start + count * n));
    // [S·n, heads, hd] → [S, kvHeads, groups·n, hd]: query head j·groups + g reads kv head j (HF
    // repeat_kv)
    NDArray qs =
        q.get(rows)
            .reshape(count, n, kvHeads, groups, hd)
            .transpose(0, 2, 3, 1, 4)
            .reshape(count, kvHeads, (long) groups * n, hd);
    NDArray ks =
        k.get(rows).reshape(count, n, kvHeads, hd).transpose(0, 2, 3, 1); // [S, kvHeads, hd, n]
    NDArray vs =
        v.get(rows).reshape(count, n, kvHeads, hd).transpose(0, 2, 1, 3); // [S, kvHeads, n, hd]
    // the scale as an array of the step's manager: DJL frees a Number operand's buffer as soon as
    // the operation
    // returns, while autograd keeps the operand for the backward pass (training)
    NDArray scores =
        qs.matMul(ks).mul(step.create((float) (1.0 / Math.sqrt(hd)))); // [S, kvHeads, groups·n, n]
    if (n > 1) {
      scores =
          scores
              .reshape(count, kvHeads, groups, n, n)
              .add(causalMask(step, n, 0))
              .reshape(count, kvHeads, (long) groups * n, n);
    }
    NDArray ctx = scores.softmax(-1).matMul(vs); // [S, kvHeads, groups·n, hd]
    return ctx.reshape(count, kvHeads, groups, n, hd)
        .transpose(0, 3, 1, 2, 4)
        .reshape((long) count * n, (long) dims.numHeads() * hd);
  }

  /**
   * Attention of one segment's rows (from row {@code start} on), reading its cache when it has one.
   */
  private NDArray segmentAttention(
      NDManager step, int l, NDArray q, NDArray k, NDArray v, int start, Segment s) {
    int hd = dims.headDim();
    int kvHeads = dims.numKvHeads();
    int groups = dims.numHeads() / kvHeads;
    float scale = (float) (1.0 / Math.sqrt(hd));
    int n = s.length();
    int past = s.past();
    NDIndex rows = new NDIndex(start + ":" + (start + n));
    // [n, heads, hd] → [kvHeads, groups·n, hd]: query head j·groups + g reads kv head j (HF
    // repeat_kv)
    NDArray qs =
        q.get(rows)
            .reshape(n, kvHeads, groups, hd)
            .transpose(1, 2, 0, 3)
            .reshape(kvHeads, (long) groups * n, hd);
    NDArray ks;
    NDArray vs;
    if (s.cache() != null) {
      // this segment's rows are in the store already: read positions [0, past + n) of its slot
      NDIndex cached = new NDIndex(s.cache().slot() + ", :, :" + (past + n) + ", :");
      ks = s.cache().store().keys(l).get(step, cached);
      vs = s.cache().store().values(l).get(step, cached);
    } else {
      ks = k.get(rows).transpose(1, 0, 2);
      vs = v.get(rows).transpose(1, 0, 2);
    }
    int len = past + n;
    NDArray scores =
        qs.matMul(ks.transpose(0, 2, 1)).mul(step.create(scale)); // [kvHeads, groups·n, len]
    if (n > 1) {
      scores =
          scores
              .reshape(kvHeads, groups, n, len)
              .add(causalMask(step, n, past))
              .reshape(kvHeads, (long) groups * n, len);
    }
    NDArray ctx = scores.softmax(-1).matMul(vs); // [kvHeads, groups·n, hd]
    return ctx.reshape(kvHeads, groups, n, hd)
        .transpose(2, 0, 1, 3)
        .reshape(n, (long) dims.numHeads() * hd);
  }

  private static NDArray causalMask(NDManager step, int n, int past) {
    int len = past + n;
    float[] mask = new float[n * len];
    for (int i = 0; i < n; i++) {
      for (int j = past + i + 1; j < len; j++) {
        mask[i * len + j] = Float.NEGATIVE_INFINITY;
      }
    }
    return step.create(mask, new Shape(n, len));
  }

  /**
   * cos and sin [rows, 1, headDim] of each row's position (positions continue each segment's
   * cache).
   */
  private NDArray[] rotary(NDManager step, List<Segment> segments, int rows) {
    int hd = dims.headDim();
    int half = hd / 2;
    float[] cos = new float[rows * hd];
    float[] sin = new float[rows * hd];
    int r = 0;
    for (Segment s : segments) {
      for (int i = 0; i < s.length(); i++, r++) {
        float pos = s.past() + i;
        for (int f = 0; f < half; f++) {
          float angle = pos * invFreq[f]; // fp32 product, as Hugging Face
          float c = (float) Math.cos(angle);
          float si = (float) Math.sin(angle);
          cos[r * hd + f] = c;
          cos[r * hd + f + half] = c;
          sin[r * hd + f] = si;
          sin[r * hd + f + half] = si;
        }
      }
    }
    return new NDArray[] {
      step.create(cos, new Shape(rows, 1, hd)), step.create(sin, new Shape(rows, 1, hd))
    };
  }

  // RoPE with Hugging Face rotate_half: x·cos + [-x2, x1]·sin over the two halves of each head
  private NDArray applyRope(NDArray x, NDArray[] rope) {
    int half = dims.headDim() / 2;
    NDArray x1 = x.get(new NDIndex(":, :, :" + half));
    NDArray x2 = x.get(new NDIndex(":, :, " + half + ":"));
    NDArray rotated = x2.neg().concat(x1, 2);
    return x.mul(rope[0]).add(rotated.mul(rope[1]));
  }

  // RMSNorm: x / sqrt(mean(x²) + eps) · w
  private NDArray rmsNorm(NDArray x, NDArray weight) {
    NDArray variance = x.square().mean(new int[] {-1}, true);
    return x.div(variance.add((float) dims.rmsNormEps()).sqrt()).mul(weight);
  }

  @Override
  public void close() {
    manager.close();
  }
}
