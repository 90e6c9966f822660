package io.adapterplatform.serving.batch;

/**
 * One token of a request's output. With {@code echo} the prompt's tokens come first ({@code prompt}
 * true). {@code logprobs} is null when the request asked for none, and for the first prompt token
 * (nothing precedes it). A generated stop token is sent as the last token before the finish.
 */
public record TokenEvent(int tokenId, boolean prompt, TokenLogprobs logprobs) {}
