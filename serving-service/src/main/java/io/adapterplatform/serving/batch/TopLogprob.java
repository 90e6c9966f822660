package io.adapterplatform.serving.batch;

/** One of the most probable tokens at a position, with its log-probability. */
public record TopLogprob(int tokenId, double logprob) {}
