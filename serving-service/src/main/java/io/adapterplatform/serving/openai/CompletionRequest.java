package io.adapterplatform.serving.openai;

import com.fasterxml.jackson.annotation.JsonProperty;
import tools.jackson.databind.JsonNode;

/**
 * The body of {@code POST /v1/completions}, as OpenAI's legacy completions API names it. Absent
 * fields take OpenAI's defaults ({@code max_tokens} 16, {@code temperature} 1, {@code top_p} 1,
 * {@code n} 1); fields this server does not implement are ignored, as OpenAI-compatible servers do.
 *
 * @param prompt a string, a list of token ids, or a list of either (one choice per prompt)
 * @param stop a string or a list of up to 4 strings: the text ends before the first one generated
 * @param logprobs the legacy {@code logprobs}: that many most probable tokens per position
 * @param returnTokenIds the vLLM extension: {@code prompt_token_ids} and {@code token_ids} per
 *     choice
 */
public record CompletionRequest(
    String model,
    JsonNode prompt,
    @JsonProperty("max_tokens") Integer maxTokens,
    Double temperature,
    @JsonProperty("top_p") Double topP,
    Long seed,
    JsonNode stop,
    Integer n,
    Boolean echo,
    Integer logprobs,
    @JsonProperty("return_token_ids") Boolean returnTokenIds,
    Boolean stream,
    @JsonProperty("stream_options") StreamOptions streamOptions) {

  /** {@code include_usage}: a last chunk with the usage before {@code [DONE]}. */
  public record StreamOptions(@JsonProperty("include_usage") Boolean includeUsage) {}
}
