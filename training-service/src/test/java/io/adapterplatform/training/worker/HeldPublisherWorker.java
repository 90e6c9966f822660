package io.adapterplatform.training.worker;

import io.adapterplatform.training.job.JobLeases;
import io.adapterplatform.training.job.JobReports;
import io.adapterplatform.training.registry.WorkerRegistry;
import io.adapterplatform.training.storage.DatasetObjects;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.concurrent.CountDownLatch;
import org.springframework.context.ApplicationContext;
import tools.jackson.databind.json.JsonMapper;

/**
 * A worker on the context's beans whose publisher stops after the export: it counts {@code
 * exported} down, then waits for {@code publish} before it publishes (a kill in between is a crash
 * between the export and the registry).
 */
public final class HeldPublisherWorker {

  private HeldPublisherWorker() {}

  public static TrainingWorker start(
      ApplicationContext context, String id, CountDownLatch exported, CountDownLatch publish) {
    var registry = context.getBean(WorkerRegistry.class);
    var publisher =
        new JobPublisher(registry, JsonMapper.builder().build()) {
          @Override
          WorkerRegistry.Published publish(
              JobPlanner.Planned planned,
              LoadedModel model,
              JobResult result,
              io.adapterplatform.training.job.Job.JobMetrics metrics) {
            exported.countDown();
            try {
              publish.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IllegalStateException("interrupted before publishing", e);
            }
            return super.publish(planned, model, result, metrics);
          }
        };
    var objects = context.getBean(DatasetObjects.class);
    TrainingWorker worker;
    try {
      worker =
          new TrainingWorker(
              id,
              context.getBean(WorkerSettings.class),
              context.getBean(JobLeases.class),
              context.getBean(JobReports.class),
              registry,
              context.getBean(JobPlanner.class),
              publisher,
              new ObjectStoreCheckpointStore(objects.client(), objects.bucket()),
              Files.createTempDirectory("held-publisher-"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    worker.start();
    return worker;
  }
}
