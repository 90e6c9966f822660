package io.adapterplatform.engine.train;

import ai.djl.ndarray.NDManager;
import io.adapterplatform.engine.model.BaseModel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One fine-tuning job: its own adapter parameters, optimizer, schedule and data order, all derived
 * from its seed. Jobs share only the frozen base model; a job behaves the same whether it trains
 * alone or fused with others in a {@link FusedTrainer} step.
 */
public final class TrainingJob implements AutoCloseable {

  private final String id;
  private final NDManager manager;
  private final TrainableAdapter adapter;
  private final AdamW optimizer;
  private final List<TrainingExample> data;
  private final int batchSize;
  private final SplittableRandom order;
  private final SplittableRandom jitter;
  private final int[] permutation;
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
    this.batchSize = config.batchSize();
    this.order = root.split();
    this.jitter = root.split();
    this.permutation = new int[data.size()];
    reshuffle();
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

  public String id() {
    return id;
  }

  public TrainableAdapter adapter() {
    return adapter;
  }

  public AdamW optimizer() {
    return optimizer;
  }

  SplittableRandom jitter() {
    return jitter;
  }

  /** The next {@code batchSize} examples in this job's seeded order, reshuffled at every epoch. */
  List<TrainingExample> nextBatch() {
    List<TrainingExample> batch = new ArrayList<>(batchSize);
    for (int i = 0; i < batchSize; i++) {
      if (cursor == permutation.length) {
        reshuffle();
      }
      batch.add(data.get(permutation[cursor++]));
    }
    return batch;
  }

  private void reshuffle() {
    for (int i = 0; i < permutation.length; i++) {
      permutation[i] = i;
    }
    for (int i = permutation.length - 1; i > 0; i--) { // Fisher–Yates
      int j = order.nextInt(i + 1);
      int t = permutation[i];
      permutation[i] = permutation[j];
      permutation[j] = t;
    }
    cursor = 0;
  }

  @Override
  public void close() {
    manager.close();
  }
}
