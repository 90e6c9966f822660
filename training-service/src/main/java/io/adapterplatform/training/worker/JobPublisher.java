package io.adapterplatform.training.worker;

import io.adapterplatform.training.job.Job;
import io.adapterplatform.training.job.JobRequest;
import io.adapterplatform.training.registry.WorkerRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Publishes a finished job's adapter to the registry with its lineage. The registry's {@code
 * Idempotency-Key}, derived from the job id, makes a publish repeated after a crash or by another
 * worker answer the version the first one made: one version per job.
 */
@Component
class JobPublisher {

  private final WorkerRegistry registry;
  private final JsonMapper json;

  JobPublisher(WorkerRegistry registry, JsonMapper json) {
    this.registry = registry;
    this.json = json;
  }

  static String idempotencyKey(String jobId) {
    return "training-job-" + jobId;
  }

  WorkerRegistry.Published publish(
      JobPlanner.Planned planned, LoadedModel model, JobResult result, Job.JobMetrics metrics) {
    JobRequest spec = planned.claimed().spec();
    String jobId = planned.job().id();
    var dataset = new LinkedHashMap<String, Object>();
    dataset.put("name", planned.dataset().name());
    dataset.put("version", planned.dataset().version());
    dataset.put("sha256", planned.dataset().sha256());
    var hyperparameters = new LinkedHashMap<String, Object>();
    hyperparameters.put("method", spec.method().name());
    if (spec.lora() != null) {
      hyperparameters.put("lora", json.convertValue(spec.lora(), Map.class));
    }
    if (spec.mixlora() != null) {
      hyperparameters.put("mixlora", json.convertValue(spec.mixlora(), Map.class));
    }
    if (spec.router() != null) {
      hyperparameters.put("router", json.convertValue(spec.router(), Map.class));
    }
    hyperparameters.put("training", json.convertValue(spec.training(), Map.class));
    var finalMetrics = new LinkedHashMap<String, Object>();
    finalMetrics.put("initialLoss", metrics.initialLoss());
    finalMetrics.put("finalLoss", result.finalLoss());
    finalMetrics.put(
        "evalLoss", result.evalLoss().isPresent() ? result.evalLoss().getAsDouble() : null);
    finalMetrics.put("steps", result.steps());
    var lineage = new LinkedHashMap<String, Object>();
    lineage.put("job", jobId);
    lineage.put("dataset", dataset);
    lineage.put("baseModel", Map.of("name", model.name(), "sha256", model.sha256()));
    lineage.put("hyperparameters", hyperparameters);
    lineage.put("metrics", finalMetrics);
    var metadata = new LinkedHashMap<String, Object>();
    metadata.put("description", "trained by job " + jobId);
    metadata.put("tags", Map.of("training-job", jobId));
    metadata.put("lineage", lineage);
    return registry.publish(
        spec.output().adapter(),
        spec.baseModel(),
        result.adapterDir(),
        json.writeValueAsString(metadata),
        idempotencyKey(jobId));
  }
}
