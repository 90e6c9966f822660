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
import java.util.random.RandomGenerator;

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
 * parameters. A job's trajectory equals training it alone with the same seed, up to float rounding,
 * with dropout and jitter too: their masks and noise come from the job's own generators.
 */
public final class FusedTrainer {

  private final BaseModel model;

  public FusedTrainer(BaseModel model) {
    this.model = model;
  }

  /**
   * One optimizer step of every job in {@code jobs}, fused: each forward and backward pass carries
   * the rows of every job that still has a micro-batch to run in this step (a job with gradient
   * accumulation a takes part in a passes; gradients add up across passes), then every job's
   * optimizer steps once.
   */
  public List<StepReport> step(List<TrainingJob> jobs) {
    if (jobs.isEmpty()) {
      throw new IllegalArgumentException("a fused step needs at least one job");
    }
    int count = jobs.size();
    // Every micro-batch of the step is drawn first: a job's loss is normalised by the completion
    // tokens of all its micro-batches, so that accumulating them equals one big batch.
    List<List<List<TrainingExample>>> micro = new ArrayList<>(count);
    int[] counted = new int[count];
    int passes = 0;
    for (int j = 0; j < count; j++) {
      TrainingJob job = jobs.get(j);
      List<List<TrainingExample>> batches = new ArrayList<>();
      for (int m = 0; m < job.gradientAccumulation(); m++) {
        List<TrainingExample> batch = job.nextBatch();
        batches.add(batch);
        for (TrainingExample ex : batch) {
          counted[j] += ex.completionTokens();
        }
      }
      micro.add(batches);
      passes = Math.max(passes, batches.size());
    }
    double[] lmLoss = new double[count];
    double[] auxLoss = new double[count];
    int[] tokens = new int[count];
    for (int m = 0; m < passes; m++) {
      List<Integer> active = new ArrayList<>();
      List<Member> members = new ArrayList<>();
      for (int j = 0; j < count; j++) {
        if (m < micro.get(j).size()) {
          TrainingJob job = jobs.get(j);
          active.add(j);
          members.add(
              new Member(
                  job.adapter(),
                  micro.get(j).get(m),
                  counted[j],
                  micro.get(j).size(),
                  job.jitter(m),
                  job.dropout(m)));
        }
      }
      PassResult result = pass(members, true);
      for (int i = 0; i < active.size(); i++) {
        int j = active.get(i);
        lmLoss[j] += result.lmLoss[i];
        auxLoss[j] += result.auxLoss[i];
        tokens[j] += result.rows[i];
      }
    }
    List<StepReport> reports = new ArrayList<>(count);
    for (int j = 0; j < count; j++) {
      AdamW.StepStats stats = jobs.get(j).optimizer().step();
      reports.add(
          new StepReport(
              jobs.get(j).id(),
              stats.step(),
              lmLoss[j],
              auxLoss[j],
              stats.learningRate(),
              stats.gradNorm(),
              tokens[j]));
    }
    return reports;
  }

  /**
   * The causal-LM loss of {@code job}'s adapter on {@code examples} (the mean NLL over all their
   * completion tokens, as {@link CausalLmLoss}), without dropout or jitter and without touching the
   * job's parameters, gradients, optimizer or data order. Taken in chunks of the job's batch size.
   */
  public double evalLoss(TrainingJob job, List<TrainingExample> examples) {
    if (examples.isEmpty()) {
      throw new IllegalArgumentException("an eval loss needs at least one example");
    }
    int counted = 0;
    for (TrainingExample ex : examples) {
      counted += ex.completionTokens();
    }
    double loss = 0;
    int chunk = job.batchSize() * job.gradientAccumulation();
    for (int from = 0; from < examples.size(); from += chunk) {
      List<TrainingExample> part = examples.subList(from, Math.min(examples.size(), from + chunk));
      loss +=
          pass(List.of(new Member(job.adapter(), part, counted, 1, null, null)), false).lmLoss[0];
    }
    return loss;
  }

  /**
   * One job's share of a pass.
   *
   * @param counted the completion tokens the job's loss is normalised by (all its micro-batches)
   * @param microBatches the job's micro-batches in this step: its load-balance loss is averaged
   *     over them
   * @param jitter null: no jitter
   * @param dropout null: no dropout
   */
  private record Member(
      TrainableAdapter adapter,
      List<TrainingExample> batch,
      int counted,
      int microBatches,
      RandomGenerator jitter,
      RandomGenerator dropout) {}

  private record PassResult(double[] lmLoss, double[] auxLoss, int[] rows) {}

  /**
   * One forward pass over the members' rows; with {@code train}, also the backward pass (gradients
   * add to what earlier passes of the step left).
   */
  private PassResult pass(List<Member> members, boolean train) {
    List<Integer> tokenList = new ArrayList<>();
    List<Segment> segments = new ArrayList<>();
    List<JobsHook.Slice> slices = new ArrayList<>();
    List<long[]> targetsPerJob = new ArrayList<>();
    List<float[]> weightsPerJob = new ArrayList<>();
    for (Member member : members) {
      int start = tokenList.size();
      int counted = member.counted();
      int rows = member.batch().stream().mapToInt(ex -> ex.tokens().length).sum();
      long[] targets = new long[rows];
      float[] weights = new float[rows]; // 1/count on rows whose next token is a completion token
      int r = 0;
      for (TrainingExample ex : member.batch()) {
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
      TrainableAdapter adapter = member.adapter();
      boolean jitter =
          train && adapter instanceof TrainableMixLora mix && mix.spec().jitterNoise() > 0;
      boolean dropout =
          train
              && (adapter.dropout() > 0
                  || adapter instanceof TrainableMixLora mix && mix.spec().dropout() > 0);
      slices.add(
          new JobsHook.Slice(
              start,
              tokenList.size(),
              adapter,
              jitter ? member.jitter() : null,
              dropout ? member.dropout() : null));
    }
    int n = tokenList.size();
    int[] tokens = tokenList.stream().mapToInt(Integer::intValue).toArray();
    long[] targets = new long[n];
    float[] weights = new float[n];
    for (int j = 0, at = 0; j < members.size(); at += targetsPerJob.get(j).length, j++) {
      System.arraycopy(targetsPerJob.get(j), 0, targets, at, targetsPerJob.get(j).length);
      System.arraycopy(weightsPerJob.get(j), 0, weights, at, weightsPerJob.get(j).length);
    }

    double[] lmLoss = new double[members.size()];
    double[] auxLoss = new double[members.size()];
    int[] rows = new int[members.size()];
    try (NDManager step = model.manager().newSubManager()) {
      var hook = new JobsHook(slices);
      GradientCollector collector = train ? Engine.getInstance().newGradientCollector() : null;
      try {
        NDArray logits = model.forward(step, tokens, segments, hook); // [n, vocab]
        NDArray nll =
            logits.logSoftmax(-1).gather(step.create(targets, new Shape(n, 1)), 1).neg().reshape(n);
        NDArray weighted = nll.mul(step.create(weights)); // Σ over a job's rows is its mean loss
        if (train) {
          NDArray total = weighted.sum();
          for (int j = 0; j < members.size(); j++) {
            JobsHook.Slice s = slices.get(j);
            if (s.adapter instanceof TrainableMixLora mix && !s.routerLogits.isEmpty()) {
              NDArray aux =
                  LoadBalanceLoss.loss(
                      s.routerLogits, null, mix.spec().topK(), mix.spec().auxLossCoef());
              int parts = members.get(j).microBatches();
              if (parts > 1) {
                aux = aux.mul(Step.scalar(aux, 1f / parts));
              }
              auxLoss[j] = aux.toType(DataType.FLOAT64, false).getDouble();
              total = total.add(aux);
            }
          }
          collector.backward(total);
        }
        float[] perRow = weighted.stopGradient().toFloatArray();
        for (int j = 0; j < members.size(); j++) {
          JobsHook.Slice s = slices.get(j);
          for (int r = s.start; r < s.end; r++) {
            lmLoss[j] += perRow[r];
          }
          rows[j] = s.end - s.start;
        }
      } finally {
        if (collector != null) {
          collector.close();
        }
      }
    }
    return new PassResult(lmLoss, auxLoss, rows);
  }
}
