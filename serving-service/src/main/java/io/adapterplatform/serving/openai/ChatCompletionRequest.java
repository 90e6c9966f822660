package io.adapterplatform.serving.openai;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * The body of {@code POST /v1/chat/completions}, as OpenAI's chat completions API names it. Absent
 * fields take the defaults of {@code /v1/completions}; fields this server does not implement are
 * ignored, as OpenAI-compatible servers do.
 *
 * @param maxCompletionTokens OpenAI's newer name of {@code max_tokens}; {@code max_tokens} wins
 *     when both are sent
 * @param logprobs whether each generated token comes with its log-probability
 * @param topLogprobs with {@code logprobs}: that many most probable tokens per position
 */
public record ChatCompletionRequest(
    String model,
    List<Message> messages,
    @JsonProperty("max_tokens") Integer maxTokens,
    @JsonProperty("max_completion_tokens") Integer maxCompletionTokens,
    Double temperature,
    @JsonProperty("top_p") Double topP,
    Long seed,
    JsonNode stop,
    Integer n,
    Boolean logprobs,
    @JsonProperty("top_logprobs") Integer topLogprobs,
    Boolean stream,
    @JsonProperty("stream_options") CompletionRequest.StreamOptions streamOptions) {

  /** {@code content} is a string or a list of {@code {"type": "text", "text": ...}} parts. */
  public record Message(String role, JsonNode content) {}
}
