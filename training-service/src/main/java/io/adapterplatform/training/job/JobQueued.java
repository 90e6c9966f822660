package io.adapterplatform.training.job;

/**
 * A job was queued, published inside the submitting transaction: a worker of this process hears it
 * once the job row is committed, without the round trip through the outbox relay and Kafka.
 *
 * @param jobId the job's id
 * @param baseModel the base model it trains on
 */
public record JobQueued(String jobId, String baseModel) {}
