package io.adapterplatform.training.worker;

import io.adapterplatform.engine.adapter.AdapterCheckpoint;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.train.AdamW;
import io.adapterplatform.engine.train.LoraSpec;
import io.adapterplatform.engine.train.LrSchedule;
import io.adapterplatform.engine.train.MixLoraSpec;
import io.adapterplatform.engine.train.TrainingConfig;
import io.adapterplatform.engine.train.TrainingExample;
import io.adapterplatform.training.dataset.Dataset;
import io.adapterplatform.training.dataset.Datasets;
import io.adapterplatform.training.job.JobLeases;
import io.adapterplatform.training.job.JobRequest;
import io.adapterplatform.training.registry.WorkerRegistry;
import io.adapterplatform.training.storage.DatasetObjects;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.auth.Role;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import org.springframework.stereotype.Component;

/**
 * Turns a claimed job into what the engine runs ({@link WorkerJob}): its datasets read from the
 * object store and tokenized with the base model's tokenizer, the held-out split, the engine's
 * specs and schedule. The same job planned twice gives the same examples in the same order, which
 * is what resuming from a checkpoint needs.
 */
@Component
class JobPlanner {

  /** The worker reads every dataset: the caller's scopes were checked when the job was taken. */
  private static final Caller WORKER = new Caller(0, "training-worker", Set.of(Role.ADMIN));

  /** A job ready to run, and what its lineage names. */
  record Planned(WorkerJob job, JobLeases.Claimed claimed, Dataset dataset) {}

  private final Datasets datasets;
  private final DatasetObjects objects;
  private final WorkerRegistry registry;

  JobPlanner(Datasets datasets, DatasetObjects objects, WorkerRegistry registry) {
    this.datasets = datasets;
    this.objects = objects;
    this.registry = registry;
  }

  Planned plan(JobLeases.Claimed claimed, LoadedModel model, Path workDir) {
    JobRequest spec = claimed.spec();
    JobRequest.TrainingSpec t = spec.training();
    Dataset dataset = dataset(spec.dataset());
    List<TrainingExample> examples = tokenize(dataset, model, t.maxSeqLen());
    List<TrainingExample> eval = List.of();
    if (spec.evalDataset() != null) {
      eval = tokenize(dataset(spec.evalDataset()), model, t.maxSeqLen());
    } else if (t.evalFraction() != null && t.evalFraction() > 0) {
      var split = split(examples, t.evalFraction(), t.seed() == null ? 0 : t.seed());
      examples = split.get(0);
      eval = split.get(1);
    }
    if (examples.isEmpty()) {
      throw new IllegalArgumentException(
          "dataset " + spec.dataset() + " has no record with a token to learn");
    }
    int accumulation = t.gradientAccumulation() == null ? 1 : t.gradientAccumulation();
    int totalSteps =
        t.steps() != null
            ? t.steps()
            : TrainingConfig.stepsForEpochs(
                t.epochs(), examples.size(), t.batchSize() * accumulation);
    var schedule =
        new LrSchedule(
            t.learningRate(),
            t.warmupSteps() == null ? 0 : t.warmupSteps(),
            totalSteps,
            LrSchedule.Decay.valueOf(
                (t.schedule() == null ? "linear" : t.schedule()).toUpperCase(Locale.ROOT)));
    var config =
        new TrainingConfig(
            t.seed() == null ? 0 : t.seed(),
            t.batchSize(),
            AdamW.Hyper.defaults(),
            schedule,
            accumulation);
    var job =
        new WorkerJob(
            claimed.id().toString(),
            spec(claimed, model, workDir),
            config,
            totalSteps,
            examples,
            eval,
            t.checkpointEvery() == null ? 100 : t.checkpointEvery(),
            t.evalEvery() == null ? 0 : t.evalEvery());
    return new Planned(job, claimed, dataset);
  }

  private WorkerJob.Spec spec(JobLeases.Claimed claimed, LoadedModel model, Path workDir) {
    JobRequest spec = claimed.spec();
    return switch (spec.method()) {
      case LORA, DORA -> {
        var l = spec.lora();
        yield new WorkerJob.LoraJob(
            new LoraSpec(
                l.r(),
                l.alpha(),
                Boolean.TRUE.equals(l.useRslora()),
                spec.method() == io.adapterplatform.training.job.JobMethod.DORA,
                projections(l.targetModules()),
                l.dropout() == null ? 0 : l.dropout()));
      }
      case MIXLORA -> {
        var l = spec.lora();
        var m = spec.mixlora();
        Set<Projection> attention = EnumSet.noneOf(Projection.class);
        projections(l.targetModules()).stream()
            .filter(Projection::isAttention)
            .forEach(attention::add);
        // The engine puts each expert's LoRA on all three FFN projections.
        yield new WorkerJob.MixLoraJob(
            new MixLoraSpec(
                m.numExperts(),
                m.topK(),
                m.expertR() == null ? l.r() : m.expertR(),
                l.alpha(),
                m.routerInitRange() == null ? 0.02 : m.routerInitRange(),
                (float) (m.routerAuxLossCoef() == null ? 0.01 : m.routerAuxLossCoef()),
                (float) (m.jitterNoise() == null ? 0 : m.jitterNoise()),
                attention,
                l.dropout() == null ? 0 : l.dropout()));
      }
      case ROUTER -> {
        String from = spec.router().from();
        int at = from.lastIndexOf('@');
        Path dir =
            registry.version(
                from.substring(0, at),
                from.substring(at + 1),
                workDir.resolve("inputs").resolve(claimed.id().toString()));
        yield new WorkerJob.RouterJob(AdapterCheckpoint.read(dir, model.config()));
      }
    };
  }

  private static Set<Projection> projections(List<String> modules) {
    Set<Projection> out = EnumSet.noneOf(Projection.class);
    for (String m : modules) {
      out.add(
          Projection.of(m)
              .orElseThrow(() -> new IllegalArgumentException("unknown target module " + m)));
    }
    return out;
  }

  private Dataset dataset(String reference) {
    int at = reference.lastIndexOf('@');
    String name = reference.substring(0, at);
    int version = Integer.parseInt(reference.substring(at + 1));
    return datasets
        .find(WORKER, name, version)
        .orElseThrow(() -> new IllegalArgumentException("dataset " + reference + " is gone"));
  }

  private List<TrainingExample> tokenize(Dataset dataset, LoadedModel model, int maxSeqLen) {
    try (var reader =
        new BufferedReader(
            new InputStreamReader(objects.open(dataset.sha256()), StandardCharsets.UTF_8))) {
      return model.tokenizer().examples(reader, maxSeqLen).examples();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read dataset " + dataset.name() + "@" + dataset.version(), e);
    }
  }

  /**
   * A held-out share of the examples, drawn by the job's seed: [training (in their order), eval].
   */
  static List<List<TrainingExample>> split(
      List<TrainingExample> examples, double fraction, long seed) {
    int n = examples.size();
    int held = (int) Math.min(n - 1L, Math.max(1, Math.round(n * fraction)));
    if (held <= 0) {
      return List.of(examples, List.of());
    }
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    var random = new SplittableRandom(seed ^ 0x6576616c5f73706cL);
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int tmp = order[i];
      order[i] = order[j];
      order[j] = tmp;
    }
    boolean[] isEval = new boolean[n];
    for (int i = 0; i < held; i++) {
      isEval[order[i]] = true;
    }
    List<TrainingExample> train = new ArrayList<>();
    List<TrainingExample> eval = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      (isEval[i] ? eval : train).add(examples.get(i));
    }
    return List.of(train, eval);
  }
}
