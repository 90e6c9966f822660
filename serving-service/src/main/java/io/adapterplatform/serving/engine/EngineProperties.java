package io.adapterplatform.serving.engine;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code platform.serving.engine.*}: the scheduler of the served base model. The pool's layout
 * comes from {@code platform.serving.pool.*}.
 *
 * @param enabled false leaves the module without an engine (no {@code /v1} API; a test may then
 *     provide its own {@code PoolWriter})
 * @param maxRows requests decoding at once
 * @param queueCapacity waiting requests; beyond it a request is refused with 429
 * @param warmUpRounds forwards per served batch size before the first request (0: none)
 * @param retryAfter what a 429 asks the client to wait
 * @param timeout a request's deadline, queueing included
 */
@ConfigurationProperties("platform.serving.engine")
public record EngineProperties(
    @DefaultValue("true") boolean enabled,
    @DefaultValue("64") int maxRows,
    @DefaultValue("256") int queueCapacity,
    @DefaultValue("3") int warmUpRounds,
    @DefaultValue("1s") Duration retryAfter,
    @DefaultValue("2m") Duration timeout) {}
