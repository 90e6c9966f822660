package io.adapterplatform.serving.engine;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code platform.serving.engine.*}: the resident base models and their schedulers. Each resident
 * base model reserves the pool's layout of {@code platform.serving.pool.*} for itself.
 *
 * @param enabled false leaves the module without an engine (no {@code /v1} API; a test may then
 *     provide its own {@code PoolWriter})
 * @param maxRows requests decoding at once
 * @param queueCapacity waiting requests; beyond it a request is refused with 429
 * @param warmUpRounds forwards per served batch size before the first request (0: none)
 * @param retryAfter what a 429 asks the client to wait
 * @param timeout a request's deadline, queueing included
 * @param maxResidentModels base models held at once when loaded on first use (not pinned by {@code
 *     platform.serving.base-models}): the least recently used idle one is unloaded to make room
 * @param drainTimeout how long a shutdown waits for in-flight requests (new ones get 503); the
 *     context's {@code spring.lifecycle.timeout-per-shutdown-phase} bounds it too
 * @param loadRetry the pause before a pinned base model's failed start-up load is tried again
 */
@ConfigurationProperties("platform.serving.engine")
public record EngineProperties(
    @DefaultValue("true") boolean enabled,
    @DefaultValue("64") int maxRows,
    @DefaultValue("256") int queueCapacity,
    @DefaultValue("3") int warmUpRounds,
    @DefaultValue("1s") Duration retryAfter,
    @DefaultValue("2m") Duration timeout,
    @DefaultValue("2") int maxResidentModels,
    @DefaultValue("30s") Duration drainTimeout,
    @DefaultValue("5s") Duration loadRetry) {

  public EngineProperties {
    if (maxResidentModels < 1) {
      throw new IllegalArgumentException(
          "platform.serving.engine.max-resident-models must be at least 1, not "
              + maxResidentModels);
    }
  }
}
