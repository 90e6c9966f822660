package io.adapterplatform.training.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A job as the API shows it: its specification (the fields of {@link JobRequest}, defaults filled
 * in), its state, and what a worker reports (progress, metrics, the jobs it was fused with, the
 * published result or the error): null or empty until a worker fills them.
 */
public record Job(
    String id,
    JobState state,
    String baseModel,
    String dataset,
    @JsonInclude(Include.NON_NULL) @Nullable String evalDataset,
    JobRequest.JobOutput output,
    JobMethod method,
    @JsonInclude(Include.NON_NULL) JobRequest.@Nullable LoraSpec lora,
    @JsonInclude(Include.NON_NULL) JobRequest.@Nullable MixLoraSpec mixlora,
    @JsonInclude(Include.NON_NULL) JobRequest.@Nullable RouterSpec router,
    JobRequest.TrainingSpec training,
    int attempts,
    JobProgress progress,
    JobMetrics metrics,
    List<String> fusedWith,
    @JsonInclude(Include.ALWAYS) @Nullable String worker,
    @JsonInclude(Include.ALWAYS) @Nullable JobResult result,
    @JsonInclude(Include.ALWAYS) @Nullable String error,
    Instant createdAt,
    Instant updatedAt) {

  static Job of(
      String id,
      JobState state,
      JobRequest spec,
      int attempts,
      JobProgress progress,
      JobMetrics metrics,
      List<String> fusedWith,
      @Nullable String worker,
      @Nullable JobResult result,
      @Nullable String error,
      Instant createdAt,
      Instant updatedAt) {
    return new Job(
        id,
        state,
        spec.baseModel(),
        spec.dataset(),
        spec.evalDataset(),
        spec.output(),
        spec.method(),
        spec.lora(),
        spec.mixlora(),
        spec.router(),
        spec.training(),
        attempts,
        progress,
        metrics,
        fusedWith,
        worker,
        result,
        error,
        createdAt,
        updatedAt);
  }

  /** {@code eta}: when the job is expected to end, absent until a worker can tell. */
  public record JobProgress(
      int step,
      @JsonInclude(Include.ALWAYS) @Nullable Integer totalSteps,
      @JsonInclude(Include.ALWAYS) @Nullable Double loss,
      @JsonInclude(Include.ALWAYS) @Nullable Double tokensPerSecond,
      @JsonInclude(Include.NON_NULL) @Nullable Instant eta) {

    static final JobProgress NONE = new JobProgress(0, null, null, null, null);
  }

  public record JobMetrics(
      @JsonInclude(Include.ALWAYS) @Nullable Double initialLoss,
      @JsonInclude(Include.ALWAYS) @Nullable Double finalLoss,
      @JsonInclude(Include.ALWAYS) @Nullable Double evalLoss) {

    static final JobMetrics NONE = new JobMetrics(null, null, null);
  }

  /** The adapter version the job published. */
  public record JobResult(String adapter, int version) {}
}
