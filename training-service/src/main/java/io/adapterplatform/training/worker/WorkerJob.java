package io.adapterplatform.training.worker;

import io.adapterplatform.engine.adapter.AdapterCheckpoint;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.train.LoraSpec;
import io.adapterplatform.engine.train.MixLoraSpec;
import io.adapterplatform.engine.train.TrainingConfig;
import io.adapterplatform.engine.train.TrainingExample;
import io.adapterplatform.engine.train.TrainingJob;
import java.util.List;
import java.util.Objects;

/**
 * One training job as the worker runs it: what to train ({@link Spec}), how ({@link
 * TrainingConfig}), on what (examples already tokenized; the held-out ones for the eval loss), how
 * long ({@code totalSteps} optimizer steps) and how often to checkpoint.
 *
 * <p>On resume the job must be given exactly as before (same id, spec, config and examples in the
 * same order): the checkpoint holds the position in the data, not the data.
 */
public record WorkerJob(
    String id,
    Spec spec,
    TrainingConfig config,
    int totalSteps,
    List<TrainingExample> examples,
    List<TrainingExample> evalExamples,
    int checkpointEvery,
    int evalEvery) {

  /** Without periodic evals: the eval loss is taken once, at the end. */
  public WorkerJob(
      String id,
      Spec spec,
      TrainingConfig config,
      int totalSteps,
      List<TrainingExample> examples,
      List<TrainingExample> evalExamples,
      int checkpointEvery) {
    this(id, spec, config, totalSteps, examples, evalExamples, checkpointEvery, 0);
  }

  /** The job's method, as the job spec names it. */
  public enum Method {
    LORA,
    DORA,
    MIXLORA,
    ROUTER
  }

  /** What a job trains. */
  public sealed interface Spec permits LoraJob, MixLoraJob, RouterJob {
    Method method();
  }

  /** A LoRA, or a DoRA when {@code spec.dora()}. */
  public record LoraJob(LoraSpec spec) implements Spec {
    public LoraJob {
      Objects.requireNonNull(spec, "spec");
    }

    @Override
    public Method method() {
      return spec.dora() ? Method.DORA : Method.LORA;
    }
  }

  /** A MixLoRA. */
  public record MixLoraJob(MixLoraSpec spec) implements Spec {
    public MixLoraJob {
      Objects.requireNonNull(spec, "spec");
    }

    @Override
    public Method method() {
      return Method.MIXLORA;
    }
  }

  /** Only the routers of an existing (possibly composed) MixLoRA train. */
  public record RouterJob(AdapterCheckpoint from) implements Spec {
    public RouterJob {
      Objects.requireNonNull(from, "from");
    }

    @Override
    public Method method() {
      return Method.ROUTER;
    }
  }

  public WorkerJob {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(config, "config");
    if (id.isBlank()) {
      throw new IllegalArgumentException("a job needs an id");
    }
    if (totalSteps <= 0) {
      throw new IllegalArgumentException("total steps must be positive, got " + totalSteps);
    }
    if (checkpointEvery <= 0) {
      throw new IllegalArgumentException(
          "checkpointEvery must be positive, got " + checkpointEvery);
    }
    if (evalEvery < 0) {
      throw new IllegalArgumentException("evalEvery must not be negative, got " + evalEvery);
    }
    examples = List.copyOf(examples);
    evalExamples = List.copyOf(evalExamples);
    if (examples.isEmpty()) {
      throw new IllegalArgumentException("job " + id + " has no training examples");
    }
  }

  public Method method() {
    return spec.method();
  }

  /**
   * Optimizer steps of a job given either {@code steps} or {@code epochs} (the job spec's choice):
   * {@code steps} when present, else {@code ceil(epochs × examples / sequencesPerStep)}.
   */
  public static int totalSteps(Integer steps, Double epochs, int examples, TrainingConfig config) {
    if ((steps == null) == (epochs == null)) {
      throw new IllegalArgumentException("give exactly one of steps and epochs");
    }
    if (steps != null) {
      return steps;
    }
    return TrainingConfig.stepsForEpochs(epochs, examples, config.sequencesPerStep());
  }

  /** A fresh engine job (state at step 0) on {@code model}. */
  TrainingJob start(BaseModel model) {
    return switch (spec) {
      case LoraJob l -> TrainingJob.lora(id, model, l.spec(), config, examples);
      case MixLoraJob m -> TrainingJob.mixLora(id, model, m.spec(), config, examples);
      case RouterJob r -> TrainingJob.router(id, model, r.from(), config, examples);
    };
  }
}
