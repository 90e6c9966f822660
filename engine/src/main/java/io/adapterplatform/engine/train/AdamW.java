package io.adapterplatform.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * AdamW (decoupled weight decay, bias-corrected moments) over one job's parameters, with
 * global-norm gradient clipping and a learning-rate schedule.
 *
 * <p>The update is PyTorch's {@code torch.optim.AdamW}: {@code p ← p·(1 − lr·wd)}, then {@code p ←
 * p − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + ε)}. Clipping is {@code clip_grad_norm_}: when the L2
 * norm over all of the job's gradients exceeds {@code maxGradNorm}, every gradient is scaled by
 * {@code maxGradNorm / (norm + 1e-6)}. Each optimizer owns only its job's parameters, so jobs fused
 * in one batch are clipped and stepped independently. The update is deterministic: no randomness is
 * involved.
 *
 * <p>The parameters are leaf arrays that require gradients; they are updated in place outside any
 * gradient collector, and their gradients are zeroed after each step (DJL accumulates gradients
 * across collectors otherwise).
 */
public final class AdamW {

  /**
   * @param beta1 first-moment decay (0.9)
   * @param beta2 second-moment decay (0.999)
   * @param eps added to the denominator (1e-8)
   * @param weightDecay decoupled weight decay (0 turns it off)
   * @param maxGradNorm global-norm clipping threshold ({@code <= 0} or infinite turns it off)
   */
  public record Hyper(
      double beta1, double beta2, double eps, double weightDecay, double maxGradNorm) {
    public Hyper {
      if (!(beta1 >= 0 && beta1 < 1)
          || !(beta2 >= 0 && beta2 < 1)
          || !(eps > 0)
          || !(weightDecay >= 0)) {
        throw new IllegalArgumentException(
            "AdamW needs 0 <= beta1, beta2 < 1, eps > 0 and weightDecay >= 0");
      }
    }

    /**
     * PyTorch's defaults with weight decay 0.01 and clipping at 1.0 (the Hugging Face Trainer's).
     */
    public static Hyper defaults() {
      return new Hyper(0.9, 0.999, 1e-8, 0.01, 1.0);
    }
  }

  /** What one step did: the learning rate used, and the global gradient norm before clipping. */
  public record StepStats(int step, double learningRate, double gradNorm) {}

  private final List<NDArray> params;
  private final List<NDArray> firstMoments = new ArrayList<>();
  private final List<NDArray> secondMoments = new ArrayList<>();
  private final Hyper hyper;
  private final LrSchedule schedule;
  private int step;

  /**
   * @param params the job's trainable leaf arrays (each {@code setRequiresGradient(true)})
   * @param stateManager where the moment buffers live (as long as the optimizer)
   */
  public AdamW(List<NDArray> params, Hyper hyper, LrSchedule schedule, NDManager stateManager) {
    if (params.isEmpty()) {
      throw new IllegalArgumentException("AdamW needs at least one parameter");
    }
    this.params = List.copyOf(params);
    this.hyper = hyper;
    this.schedule = schedule;
    for (NDArray p : this.params) {
      firstMoments.add(stateManager.zeros(p.getShape(), p.getDataType()));
      secondMoments.add(stateManager.zeros(p.getShape(), p.getDataType()));
    }
  }

  /** Optimizer steps taken so far. */
  public int stepsTaken() {
    return step;
  }

  /** The parameters, in the optimizer's order. */
  List<NDArray> parameters() {
    return params;
  }

  /** The first moments (PyTorch's {@code exp_avg}), in parameter order: live arrays. */
  List<NDArray> firstMoments() {
    return firstMoments;
  }

  /** The second moments ({@code exp_avg_sq}), in parameter order: live arrays. */
  List<NDArray> secondMoments() {
    return secondMoments;
  }

  /** Sets the count of steps taken (on resume, with the moments restored). */
  void restoreSteps(int steps) {
    if (steps < 0) {
      throw new IllegalArgumentException("steps taken cannot be negative, got " + steps);
    }
    this.step = steps;
  }

  /** The global L2 norm of the current gradients (one host read for all parameters). */
  public double gradientNorm() {
    try (NDManager scratch = params.get(0).getManager().newSubManager()) {
      return norm(flatGradients(scratch));
    }
  }

  // one pass in fp32 (libtorch's vector norm accumulates blockwise): a float64 copy first cost two
  // more
  // passes over every gradient, for a number that only decides whether and how much to clip
  private static double norm(NDArray flat) {
    return flat.norm().getFloat();
  }

  // every gradient, flattened and concatenated in parameter order [Σ numel], in the scratch manager
  private NDArray flatGradients(NDManager scratch) {
    NDList flat = new NDList(params.size());
    for (NDArray p : params) {
      NDArray g = p.getGradient();
      g.attach(scratch);
      flat.add(g.reshape(-1));
    }
    return flat.size() == 1 ? flat.get(0) : NDArrays.concat(flat, 0);
  }

  /**
   * Clips, updates every parameter from its accumulated gradient, then zeroes the gradients.
   *
   * <p>Each parameter is updated by one native call (DJL's {@code adamUpdate}, in-place libtorch
   * operations on that parameter, its gradient and its moments; it also zeroes the gradient): a job
   * has two arrays per adapted projection (112 for a rank-16 LoRA on all seven projections of 8
   * layers), and a dozen separate small operations on each, each a call through JNI, cost more than
   * the arithmetic. The native update is {@code w ← w − lr·wd·w; m ← β1·m + (1−β1)·g; v ← β2·v +
   * (1−β2)·g²; w ← w − c·m / (√v + e)}; with {@code c = lr/(1−β1^t)·√(1−β2^t)} and {@code e =
   * ε·√(1−β2^t)} it is exactly PyTorch's bias-corrected step {@code lr/(1−β1^t) · m / (√v/√(1−β2^t)
   * + ε)}. The clipping factor is applied as its gradient rescale.
   */
  public StepStats step() {
    double lr = schedule.at(step);
    int t = step + 1;
    double bias1 = 1 - Math.pow(hyper.beta1(), t);
    double sqrtBias2 = Math.sqrt(1 - Math.pow(hyper.beta2(), t));
    double norm;
    try (NDManager scratch = params.get(0).getManager().newSubManager()) {
      norm = norm(flatGradients(scratch));
      double clip = 1.0;
      if (hyper.maxGradNorm() > 0
          && Double.isFinite(hyper.maxGradNorm())
          && norm > hyper.maxGradNorm()) {
        clip = hyper.maxGradNorm() / (norm + 1e-6);
      }
      for (int i = 0; i < params.size(); i++) {
        NDArray p = params.get(i);
        NDArray g = p.getGradient();
        g.attach(scratch);
        p.getNDArrayInternal()
            .adamUpdate(
                new NDList(p, g, firstMoments.get(i), secondMoments.get(i)),
                new NDList(p),
                (float) lr,
                (float) (lr / bias1 * sqrtBias2),
                (float) hyper.weightDecay(),
                (float) clip,
                -1f,
                (float) hyper.beta1(),
                (float) hyper.beta2(),
                (float) (hyper.eps() * sqrtBias2),
                false,
                true);
      }
    }
    step++;
    return new StepStats(t - 1, lr, norm);
  }
}
