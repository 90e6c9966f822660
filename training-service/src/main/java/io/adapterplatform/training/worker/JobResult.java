package io.adapterplatform.training.worker;

import java.nio.file.Path;
import java.util.OptionalDouble;

/**
 * A finished job: its exported adapter ({@code adapter_config.json} + {@code
 * adapter_model.safetensors}) and final metrics.
 *
 * @param jobId the job
 * @param steps optimizer steps taken
 * @param finalLoss the loss of the last step
 * @param evalLoss the mean completion-token loss on the held-out examples, empty without any
 * @param adapterDir where the adapter was exported
 */
public record JobResult(
    String jobId, int steps, double finalLoss, OptionalDouble evalLoss, Path adapterDir) {}
