package io.adapterplatform.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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

    /** The global L2 norm of the current gradients (one host read for all parameters). */
    public double gradientNorm() {
        NDArray squares = null;
        try (NDManager scratch = params.get(0).getManager().newSubManager()) {
            for (NDArray p : params) {
                NDArray g = p.getGradient();
                g.attach(scratch);
                NDArray s = g.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).square().sum();
                squares = squares == null ? s : squares.add(s);
            }
            return Math.sqrt(squares.getDouble());
        }
    }

    /** Clips, updates every parameter from its accumulated gradient, then zeroes the gradients. */
    public StepStats step() {
        double lr = schedule.at(step);
        double norm = gradientNorm();
        double clip = 1.0;
        if (hyper.maxGradNorm() > 0 && Double.isFinite(hyper.maxGradNorm()) && norm > hyper.maxGradNorm()) {
            clip = hyper.maxGradNorm() / (norm + 1e-6);
        }
        int t = step + 1;
        double bias1 = 1 - Math.pow(hyper.beta1(), t);
        double bias2 = 1 - Math.pow(hyper.beta2(), t);
        double stepSize = lr / bias1;
        double sqrtBias2 = Math.sqrt(bias2);
        for (int i = 0; i < params.size(); i++) {
            NDArray p = params.get(i);
            NDArray m = firstMoments.get(i);
            NDArray v = secondMoments.get(i);
            try (NDManager scratch = p.getManager().newSubManager()) {
                NDArray g = p.getGradient();
                g.attach(scratch);
                if (clip != 1.0) {
                    g = g.mul((float) clip);
                }
                // m ← β1·m + (1−β1)·g written as m − (1−β1)(m − g), v likewise: no scalar operation has a
                // job-owned receiver (DJL leaves the scalar operand of such an operation in the job's manager)
                NDArray mStep = m.sub(g);
                mStep.attach(scratch);
                m.subi(mStep.muli((float) (1 - hyper.beta1())));
                NDArray vStep = v.sub(g.square());
                vStep.attach(scratch);
                v.subi(vStep.muli((float) (1 - hyper.beta2())));
                if (hyper.weightDecay() != 0) {
                    // p ← p − lr·wd·p, the product taken on a scratch-owned view: p.muli(number) leaves its scalar
                    // operand in the job's manager every step (and a scalar from manager.create(float) gave NaNs)
                    NDArray detached = p.stopGradient();
                    detached.attach(scratch);
                    p.subi(detached.mul((float) (lr * hyper.weightDecay())));
                }
                NDArray denom = v.sqrt();
                denom.attach(scratch); // results of ops land on the first operand's manager
                denom.divi((float) sqrtBias2).addi((float) hyper.eps());
                NDArray update = m.div(denom);
                update.attach(scratch);
                p.subi(update.muli((float) stepSize));
                NDArray raw = p.getGradient();
                raw.attach(scratch);
                raw.subi(raw); // x − x is +0, where x·0 could give −0
            }
        }
        step++;
        return new StepStats(t - 1, lr, norm);
    }
}
