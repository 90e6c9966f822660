package io.adapterplatform.engine.train;

import ai.djl.ndarray.NDManager;
import io.adapterplatform.engine.adapter.AdapterCheckpoint;
import io.adapterplatform.engine.adapter.MixLora;
import io.adapterplatform.engine.format.AdapterConfig;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.model.BaseModel;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * One fine-tuning job: its own adapter parameters, optimizer, schedule and data order, all derived
 * from its seed. Jobs share only the frozen base model; a job behaves the same whether it trains
 * alone or fused with others in a {@link FusedTrainer} step.
 *
 * <p>Randomness: the data order of epoch e, and the dropout masks and jitter noise of optimizer
 * step t (micro-batch m), each come from a generator seeded by a function of (the job's seed, e) or
 * (seed, t, m). Nothing depends on how many numbers were drawn before, so a job's position (step,
 * epoch, index in the epoch) is its whole random state: a resumed job draws exactly what it would
 * have drawn, and fusion with other jobs changes nothing.
 */
public final class TrainingJob implements AutoCloseable {

  private final String id;
  private final NDManager manager;
  private final TrainableAdapter adapter;
  private final AdamW optimizer;
  private final List<TrainingExample> data;
  private final long seed;
  private final int batchSize;
  private final int gradientAccumulation;
  private final long orderSeed;
  private final long jitterSeed;
  private final long dropoutSeed;
  private final int[] permutation;
  private int epoch;
  private int cursor;

  private TrainingJob(
      String id,
      NDManager manager,
      TrainableAdapter adapter,
      TrainingConfig config,
      List<TrainingExample> data,
      SplittableRandom root) {
    if (data.isEmpty()) {
      throw new IllegalArgumentException("job " + id + " has no training examples");
    }
    this.id = id;
    this.manager = manager;
    this.adapter = adapter;
    this.optimizer =
        new AdamW(adapter.parameters(), config.optimizer(), config.schedule(), manager);
    this.data = List.copyOf(data);
    this.seed = config.seed();
    this.batchSize = config.batchSize();
    this.gradientAccumulation = config.gradientAccumulation();
    this.orderSeed = root.nextLong();
    this.jitterSeed = root.nextLong();
    this.dropoutSeed = root.nextLong();
    this.permutation = new int[data.size()];
    startEpoch(0);
  }

  /** A LoRA or DoRA job. */
  public static TrainingJob lora(
      String id,
      BaseModel model,
      LoraSpec spec,
      TrainingConfig config,
      List<TrainingExample> data) {
    NDManager manager = model.manager().newSubManager();
    var root = new SplittableRandom(config.seed());
    var adapter = TrainableLora.init(model, spec, root.split(), manager, TrainableLora.PEFT_PREFIX);
    return new TrainingJob(id, manager, adapter, config, data, root);
  }

  /** A MixLoRA job. */
  public static TrainingJob mixLora(
      String id,
      BaseModel model,
      MixLoraSpec spec,
      TrainingConfig config,
      List<TrainingExample> data) {
    NDManager manager = model.manager().newSubManager();
    var root = new SplittableRandom(config.seed());
    var adapter = TrainableMixLora.init(model, spec, root.split().nextLong(), manager);
    return new TrainingJob(id, manager, adapter, config, data, root);
  }

  /**
   * A ROUTER job: trains only the router of the existing MixLoRA {@code from}, starting from its
   * current values; experts and attention LoRA are loaded and frozen. Load-balance coefficient,
   * jitter, top-k and dropout (attention {@code lora_dropout}, experts {@code expert_lora.dropout})
   * are {@code from}'s. {@link AdapterExport#write} then writes {@code from}'s config and every
   * tensor but the routers byte for byte as {@code from} stored them.
   *
   * @throws IllegalArgumentException when {@code from} is not a MixLoRA or does not fit the model
   */
  public static TrainingJob router(
      String id,
      BaseModel model,
      AdapterCheckpoint from,
      TrainingConfig config,
      List<TrainingExample> data) {
    if (!(from.weights() instanceof MixLora weights)) {
      throw new IllegalArgumentException(
          "a ROUTER job needs a MixLoRA adapter, got " + from.config().kind());
    }
    AdapterConfig c = from.config();
    AdapterConfig.MixLoraSettings settings = c.mixlora().orElseThrow();
    int layers = model.dims().numLayers();
    if (weights.routers().size() != layers) {
      throw new IllegalArgumentException(
          "the MixLoRA has routers for "
              + weights.routers().size()
              + " layers, the model has "
              + layers);
    }
    Set<Projection> attention = EnumSet.noneOf(Projection.class);
    weights.modules().keySet().forEach(k -> attention.add(k.projection()));
    var spec =
        new MixLoraSpec(
            weights.numExperts(),
            weights.topK(),
            weights.expertRank(),
            settings.expertAlpha(),
            settings.routerInitRange(),
            (float) settings.routerAuxLossCoef(),
            (float) settings.jitterNoise(),
            attention,
            settings.expertDropout());
    var attentionSpec =
        new LoraSpec(
            c.r(),
            c.loraAlpha(),
            c.useRslora(),
            false,
            attention.isEmpty() ? EnumSet.of(Projection.Q) : attention,
            c.loraDropout());
    NDManager manager = model.manager().newSubManager();
    var adapter = TrainableMixLora.routerOnly(from, spec, attentionSpec, layers, manager);
    var root = new SplittableRandom(config.seed());
    root.split(); // as the other kinds: the data-order and per-step seeds come after the init's
    return new TrainingJob(id, manager, adapter, config, data, root);
  }

  public String id() {
    return id;
  }

  public TrainableAdapter adapter() {
    return adapter;
  }

  public AdamW optimizer() {
    return optimizer;
  }

  /** The seed every random choice of this job derives from. */
  public long seed() {
    return seed;
  }

  /** Training examples (one epoch). */
  public int examples() {
    return data.size();
  }

  /** Writes this job's whole training state into a {@link JobCheckpoint}. */
  public JobCheckpoint checkpoint() {
    return JobCheckpoint.of(this);
  }

  /**
   * Sets this job's state to {@code checkpoint}'s: afterwards it trains on exactly as the job that
   * wrote the checkpoint would have. The job must have been built as that one was (same id, kind,
   * spec, seed and data).
   */
  public void restore(JobCheckpoint checkpoint) {
    checkpoint.restoreInto(this);
  }

  /** Moves the data order to {@code index} of epoch {@code e} (on resume). */
  void restorePosition(int e, int index) {
    if (e < 0 || index < 0 || index > permutation.length) {
      throw new IllegalArgumentException(
          "position "
              + index
              + " of epoch "
              + e
              + " is outside "
              + permutation.length
              + " examples");
    }
    startEpoch(e);
    cursor = index;
  }

  /** Sequences per micro-batch. */
  public int batchSize() {
    return batchSize;
  }

  /** Micro-batches per optimizer step. */
  public int gradientAccumulation() {
    return gradientAccumulation;
  }

  /** The current epoch (0-based): the number of times the data order has wrapped around. */
  public int epoch() {
    return epoch;
  }

  /** Examples of the current epoch already taken (the position in this epoch's order). */
  public int indexInEpoch() {
    return cursor;
  }

  /** The jitter generator of micro-batch {@code micro} of the coming optimizer step. */
  RandomGenerator jitter(int micro) {
    return new SplittableRandom(Seeds.mix(jitterSeed, optimizer.stepsTaken(), micro));
  }

  /** The dropout generator of micro-batch {@code micro} of the coming optimizer step. */
  RandomGenerator dropout(int micro) {
    return new SplittableRandom(Seeds.mix(dropoutSeed, optimizer.stepsTaken(), micro));
  }

  /** The next {@code batchSize} examples in this job's seeded order, reshuffled at every epoch. */
  List<TrainingExample> nextBatch() {
    List<TrainingExample> batch = new ArrayList<>(batchSize);
    for (int i = 0; i < batchSize; i++) {
      if (cursor == permutation.length) {
        startEpoch(epoch + 1);
      }
      batch.add(data.get(permutation[cursor++]));
    }
    return batch;
  }

  /** The order of epoch {@code e}: a Fisher–Yates shuffle from a generator seeded by (seed, e). */
  private void startEpoch(int e) {
    var rng = new SplittableRandom(Seeds.mix(orderSeed, e, 0));
    for (int i = 0; i < permutation.length; i++) {
      permutation[i] = i;
    }
    for (int i = permutation.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = permutation[i];
      permutation[i] = permutation[j];
      permutation[j] = t;
    }
    epoch = e;
    cursor = 0;
  }

  @Override
  public void close() {
    manager.close();
  }
}
