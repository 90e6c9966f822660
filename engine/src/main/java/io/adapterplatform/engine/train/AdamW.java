package io.adapterplatform.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * AdamW (decoupled weight decay, bias-corrected moments) over one job's parameters, with global-norm
 * gradient clipping and a learning-rate schedule.
 *
 * <p>The update is PyTorch's {@code torch.optim.AdamW}: {@code p ← p·(1 − lr·wd)}, then
 * {@code p ← p − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + ε)}. Clipping is {@code clip_grad_norm_}:
 * when the L2 norm over all of the job's gradients exceeds {@code maxGradNorm}, every gradient is
 * scaled by {@code maxGradNorm / (norm + 1e-6)}. Each optimizer owns only its job's parameters, so
 * jobs fused in one batch are clipped and stepped independently. The update is deterministic: no
 * randomness is involved.
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
    public record Hyper(double beta1, double beta2, double eps, double weightDecay, double maxGradNorm) {
        public Hyper {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || !(weightDecay >= 0)) {
                throw new IllegalArgumentException("AdamW needs 0 <= beta1, beta2 < 1, eps > 0 and weightDecay >= 0");
            }
        }

        /** PyTorch's defaults with weight decay 0.01 and clipping at 1.0 (the Hugging Face Trainer's). */
        public static Hyper defaults() {
            return new Hyper(0.9, 0.999, 1e-8, 0.01, 1.0);
        }
    }

    /** What one step did: the learning rate used, and the global gradient norm before clipping. */
    public record StepStats(int step, double learningRate, double gradNorm) {}

    private final List<NDArray> params;
    private final NDArray firstMoment;  // [Σ numel], every parameter's moments in one flat buffer
    private final NDArray secondMoment;
    private final long[] splitAt;       // where each parameter's elements start in the flat buffers, from the 2nd on
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
        this.splitAt = new long[this.params.size() - 1];
        long total = 0;
        for (int i = 0; i < this.params.size(); i++) {
            if (i > 0) {
                splitAt[i - 1] = total;
            }
            total += this.params.get(i).size();
        }
        DataType type = this.params.get(0).getDataType();
        this.firstMoment = stateManager.zeros(new Shape(total), type);
        this.secondMoment = stateManager.zeros(new Shape(total), type);
    }

    /** Optimizer steps taken so far. */
    public int stepsTaken() {
        return step;
    }

    /** The global L2 norm of the current gradients (one host read for all parameters). */
    public double gradientNorm() {
        try (NDManager scratch = params.get(0).getManager().newSubManager()) {
            return norm(flatGradients(scratch));
        }
    }

    private static double norm(NDArray flat) {
        return Math.sqrt(flat.toType(DataType.FLOAT64, false).square().sum().getDouble());
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
     * <p>The moments of all the job's parameters live in one flat buffer and the arithmetic runs on it once:
     * a job has two arrays per adapted projection (112 for a rank-16 LoRA on all seven projections of 8
     * layers), and a dozen small operations on each cost more than the arithmetic itself on a CPU. What
     * remains per parameter is reading its gradient, subtracting its slice of the update and zeroing the
     * gradient.
     */
    public StepStats step() {
        double lr = schedule.at(step);
        int t = step + 1;
        double bias1 = 1 - Math.pow(hyper.beta1(), t);
        double bias2 = 1 - Math.pow(hyper.beta2(), t);
        double stepSize = lr / bias1;
        double sqrtBias2 = Math.sqrt(bias2);
        double norm;
        try (NDManager scratch = params.get(0).getManager().newSubManager()) {
            NDArray g = flatGradients(scratch);
            norm = norm(g);
            if (hyper.maxGradNorm() > 0 && Double.isFinite(hyper.maxGradNorm()) && norm > hyper.maxGradNorm()) {
                g = g.mul((float) (hyper.maxGradNorm() / (norm + 1e-6)));
            }
            // m ← β1·m + (1−β1)·g written as m − (1−β1)(m − g), v likewise: no scalar operation has a
            // job-owned receiver (DJL leaves the scalar operand of such an operation in the job's manager)
            NDArray mStep = firstMoment.sub(g);
            mStep.attach(scratch);
            firstMoment.subi(mStep.muli((float) (1 - hyper.beta1())));
            NDArray vStep = secondMoment.sub(g.square());
            vStep.attach(scratch);
            secondMoment.subi(vStep.muli((float) (1 - hyper.beta2())));
            NDArray denom = secondMoment.sqrt();
            denom.attach(scratch); // results of ops land on the first operand's manager
            denom.divi((float) sqrtBias2).addi((float) hyper.eps());
            NDArray update = firstMoment.div(denom);
            update.attach(scratch);
            update.muli((float) stepSize);
            NDList updates = params.size() == 1 ? new NDList(update) : update.split(splitAt);
            for (int i = 0; i < params.size(); i++) {
                NDArray p = params.get(i);
                if (hyper.weightDecay() != 0) {
                    // p ← p − lr·wd·p, the product taken on a scratch-owned view: p.muli(number) leaves its scalar
                    // operand in the job's manager every step (and a scalar from manager.create(float) gave NaNs)
                    NDArray detached = p.stopGradient();
                    detached.attach(scratch);
                    p.subi(detached.mul((float) (lr * hyper.weightDecay())));
                }
                p.subi(updates.get(i).reshape(p.getShape()));
                NDArray raw = p.getGradient();
                raw.attach(scratch);
                raw.subi(raw); // x − x is +0, where x·0 could give −0
            }
        }
        step++;
        return new StepStats(t - 1, lr, norm);
    }
}
