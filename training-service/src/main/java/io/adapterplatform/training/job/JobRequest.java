package io.adapterplatform.training.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import io.adapterplatform.web.problem.JsonRequestBody;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The specification of a job as submitted (and, with its defaults filled in, as answered). Every
 * field is checked before anything is stored ({@code JobValidator}).
 */
@JsonInclude(Include.NON_NULL)
public record JobRequest(
    String baseModel,
    String dataset,
    @Nullable String evalDataset,
    JobOutput output,
    JobMethod method,
    @Nullable LoraSpec lora,
    @Nullable MixLoraSpec mixlora,
    @Nullable RouterSpec router,
    TrainingSpec training)
    implements JsonRequestBody {

  /** The adapter the result is published to, created on the base model if absent. */
  @JsonInclude(Include.NON_NULL)
  public record JobOutput(String adapter, @Nullable String alias) {}

  @JsonInclude(Include.NON_NULL)
  public record LoraSpec(
      Integer r,
      Double alpha,
      @Nullable Double dropout,
      List<String> targetModules,
      @Nullable Boolean useRslora) {}

  @JsonInclude(Include.NON_NULL)
  public record MixLoraSpec(
      Integer numExperts,
      Integer topK,
      @Nullable Double routerAuxLossCoef,
      @Nullable Double jitterNoise,
      @Nullable Double routerInitRange,
      @Nullable Integer expertR) {}

  /** {@code from}: the MixLoRA version whose router is trained, {@code adapter@version}. */
  public record RouterSpec(String from) {}

  /** Exactly one of {@code steps} and {@code epochs}. */
  @JsonInclude(Include.NON_NULL)
  public record TrainingSpec(
      @Nullable Integer steps,
      @Nullable Integer epochs,
      Integer batchSize,
      @Nullable Integer gradientAccumulation,
      Double learningRate,
      @Nullable Integer warmupSteps,
      @Nullable String schedule,
      Integer maxSeqLen,
      @Nullable Long seed,
      @Nullable Double evalFraction,
      @Nullable Integer evalEvery,
      @Nullable Integer checkpointEvery) {}
}
