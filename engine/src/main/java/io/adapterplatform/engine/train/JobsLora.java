package io.adapterplatform.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.adapterplatform.engine.format.Projection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The plain-LoRA terms {@code s_j·B_j A_j x} of several jobs on one projection, each on its own
 * rows, in a fixed number of operations whatever the number of jobs. A per-job loop costs a slice,
 * two products, a scale and an add per job and projection, forward and again backward (autograd
 * replays every operation); on a CPU those small operations cost about as much fused as alone and
 * ate the fusion's gain.
 *
 * <p>Two exact formulations, both differentiable into each job's own A and B only:
 *
 * <ul>
 *   <li><b>block-diagonal</b> (every job adapts the projection, same row count and rank): the rows
 *       viewed as [J, rows, in] times the stacked A<sub>j</sub>ᵀ [J, in, r], then the stacked
 *       B<sub>j</sub>ᵀ: two batched products, no wasted flops;
 *   <li><b>masked</b> (any row counts and ranks): x·[A_1; …; A_J]ᵀ [n, Σr], each row's columns of
 *       other jobs multiplied by 0 and its own by s<sub>j</sub>, then ·[B_1 … B_J]ᵀ. It computes J
 *       times the (small) first product; a zero block contributes exact zeros, so a row's result is
 *       its own job's term.
 * </ul>
 *
 * Gradients: the other jobs' blocks of a row are multiplied by 0 before B, so a job's A and B
 * receive gradient from its own rows only, exactly as when it trains alone.
 */
final class JobsLora {

  /** One job's plain LoRA on the projection, and the rows [start, end) it applies to. */
  record Part(int start, int end, TrainableLora lora) {}

  private final int rows;
  private final Map<Long, NDArray> masks =
      new HashMap<>(); // per set of adapting jobs, for the step

  JobsLora(int rows) {
    this.rows = rows;
  }

  /**
   * The jobs' summed LoRA terms [rows, out] on x [rows, in] (zero on rows of jobs not in {@code
   * parts}).
   */
  NDArray delta(int layer, Projection p, NDArray x, List<Part> parts, long key, boolean allRows) {
    int j = parts.size();
    NDList as = new NDList(j);
    NDList bs = new NDList(j);
    for (Part part : parts) {
      as.add(part.lora().a(layer, p));
      bs.add(part.lora().b(layer, p));
    }
    if (allRows && blockDiagonal(layer, p, parts)) {
      int perJob = parts.get(0).end() - parts.get(0).start();
      long in = x.getShape().get(1);
      NDArray at = Step.owned(NDArrays.stack(as), x).transpose(0, 2, 1); // [J, in, r]
      NDArray bt = Step.owned(NDArrays.stack(bs), x).transpose(0, 2, 1); // [J, r, out]
      NDArray h = x.reshape(j, perJob, in).matMul(at); // [J, rows, r]
      h = h.mul(scales(parts, x.getManager()));
      return h.matMul(bt).reshape(rows, -1);
    }
    NDArray a = Step.owned(NDArrays.concat(as, 0), x); // [Σr, in]
    NDArray b = Step.owned(NDArrays.concat(bs, 1), x); // [out, Σr]
    NDArray h = x.matMul(a.transpose()).mul(mask(layer, p, parts, key, x.getManager()));
    return h.matMul(b.transpose());
  }

  private static boolean blockDiagonal(int layer, Projection p, List<Part> parts) {
    Part first = parts.get(0);
    for (Part part : parts) {
      if (part.end() - part.start() != first.end() - first.start()
          || part.lora().a(layer, p).getShape().get(0)
              != first.lora().a(layer, p).getShape().get(0)) {
        return false;
      }
    }
    return true;
  }

  private static NDArray scales(List<Part> parts, NDManager step) {
    float[] s = new float[parts.size()];
    for (int i = 0; i < s.length; i++) {
      s[i] = (float) parts.get(i).lora().spec().scaling();
    }
    return step.create(s, new Shape(s.length, 1, 1));
  }

  // [rows, Σr]: s_j on job j's rows and columns, 0 elsewhere; the same for every layer with this
  // set of jobs
  private NDArray mask(int layer, Projection p, List<Part> parts, long key, NDManager step) {
    NDArray cached = masks.get(key);
    if (cached != null) {
      return cached;
    }
    int width = 0;
    for (Part part : parts) {
      width += (int) part.lora().a(layer, p).getShape().get(0);
    }
    float[] m = new float[rows * width];
    int col = 0;
    for (Part part : parts) {
      int r = (int) part.lora().a(layer, p).getShape().get(0);
      float s = (float) part.lora().spec().scaling();
      for (int row = part.start(); row < part.end(); row++) {
        for (int c = col; c < col + r; c++) {
          m[row * width + c] = s;
        }
      }
      col += r;
    }
    NDArray mask = step.create(m, new Shape(rows, width));
    masks.put(key, mask);
    return mask;
  }
}
