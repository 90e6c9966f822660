package io.adapterplatform.engine.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.Segment;
import java.util.ArrayList;
import java.util.List;

/**
 * Trains several independent jobs in one step on one copy of the frozen base model (m-LoRA's batch
 * fusion): the rows of every job's micro-batch go through one forward pass, the frozen GEMMs run
 * once for all of them, and each job's adapter terms apply to its own rows only.
 *
 * <p>Why one backward suffices: the step minimises {@code Σ_j L_j}, each {@code L_j} a mean over
 * job j's own completion tokens (plus j's own load-balance loss) that depends only on j's
 * parameters θ_j, since the jobs' parameters are disjoint and attention never mixes rows of
 * different sequences. Hence {@code ∂(Σ_i L_i)/∂θ_j = ∂L_j/∂θ_j}: one backward gives every job
 * exactly the gradient it would get alone, and each job's optimizer then clips and steps its own
 * parameters. With dropout 0 a job's trajectory equals training it alone with the same seed and
 * data order, up to float rounding.
 */
public final class FusedTrainer {

  private final BaseModel model;

  public FusedTrainer(BaseModel model) {
    this.model = model;
  }

  /**
   * One optimizer step of every job in {@code jobs}, fused in one forward and one backward pass.
   */
  public List<StepReport> step(List<TrainingJob> jobs) {
    if (jobs.isEmpty()) {
      throw new IllegalArgumentException("a fused step needs at least one job");
    }
    List<Integer> tokenList = new ArrayList<>();
    List<Segment> segments = new ArrayList<>();
    List<JobsHook.Slice> slices = new ArrayList<>();
    List<long[]> targetsPerJob = new ArrayList<>();
    List<float[]> weightsPerJob = new ArrayList<>();
    for (TrainingJob job : jobs) {
      int start = tokenList.size();
      List<TrainingExample> batch = job.nextBatch();
      int counted = 0;
      for (TrainingExample ex : batch) {
        counted += ex.completionTokens();
      }
      int rows = batch.stream().mapToInt(ex -> ex.tokens().length).sum();
      long[] targets = new long[rows];
      float[] weights = new float[rows]; // 1/count on rows whose next token is a completion token
      int r = 0;
      for (TrainingExample ex : batch) {
        int[] t = ex.tokens();
        segments.add(Segment.of(t.length));
        for (int i = 0; i < t.length; i++, r++) {
          tokenList.add(t[i]);
          if (i + 1 < t.length) {
            targets[r] = t[i + 1];
            weights[r] = i + 1 >= ex.promptLength() && counted > 0 ? 1f / counted : 0f;
          }
        }
      }
      targetsPerJob.add(targets);
      weightsPerJob.add(weights);
      boolean jitter =
          job.adapter() instanceof TrainableMixLora mix && mix.spec().jitterNoise() > 0;
      slices.add(
          new JobsHook.Slice(start, tokenList.size(), job.adapter(), jitter ? job.jitter() : null));
    }
    int n = tokenList.size();
    int[] tokens = tokenList.stream().mapToInt(Integer::intValue).toArray();
    long[] targets = new long[n];
    float[] weights = new float[n];
    for (int j = 0, at = 0; j < jobs.size(); at += targetsPerJob.get(j).length, j++) {
      System.arraycopy(targetsPerJob.get(j), 0, targets, at, targetsPerJob.get(j).length);
      System.arraycopy(weightsPerJob.get(j), 0, weights, at, weightsPerJob.get(j).length);
    }

    double[] lmLoss = new double[jobs.size()];
    double[] auxLoss = new double[jobs.size()];
    try (NDManager step = model.manager().newSubManager()) {
      var hook = new JobsHook(slices);
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray logits = model.forward(step, tokens, segments, hook); // [n, vocab]
        NDArray nll =
            logits.logSoftmax(-1).gather(step.create(targets, new Shape(n, 1)), 1).neg().reshape(n);
        NDArray weighted = nll.mul(step.create(weights)); // Σ over a job's rows is its mean loss
        NDArray total = weighted.sum();
        for (int j = 0; j < jobs.size(); j++) {
          JobsHook.Slice s = slices.get(j);
          if (s.adapter instanceof TrainableMixLora mix && !s.routerLogits.isEmpty()) {
            NDArray aux =
                LoadBalanceLoss.loss(
                    s.routerLogits, null, mix.spec().topK(), mix.spec().auxLossCoef());
            auxLoss[j] = aux.toType(DataType.FLOAT64, false).getDouble();
            total = total.add(aux);
          }
        }
        collector.backward(total);
        float[] perRow = weighted.stopGradient().toFloatArray();
        for (int j = 0; j < jobs.size(); j++) {
          for (int r = slices.get(j).start; r < slices.get(j).end; r++) {
            lmLoss[j] += perRow[r];
          }
        }
      }
    }
    List<StepReport> reports = new ArrayList<>(jobs.size());
    for (int j = 0; j < jobs.size(); j++) {
      JobsHook.Slice s = slices.get(j);
      AdamW.StepStats stats = jobs.get(j).optimizer().step();
      reports.add(
          new StepReport(
              jobs.get(j).id(),
              stats.step(),
              lmLoss[j],
              auxLoss[j],
              stats.learningRate(),
              stats.gradNorm(),
              s.end - s.start));
    }
    return reports;
  }
}
