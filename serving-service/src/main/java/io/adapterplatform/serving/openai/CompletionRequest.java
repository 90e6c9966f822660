package io.adapterplatform.serving.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.Schema;
import org.jspecify.annotations.Nullable;
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
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CompletionRequest(
    String model,
    JsonNode prompt,
    @Schema(minimum = "0") @JsonProperty("max_tokens") @Nullable Integer maxTokens,
    @Schema(minimum = "0", maximum = "2") @Nullable Double temperature,
    @Schema(maximum = "1") @JsonProperty("top_p") @Nullable Double topP,
    @Nullable Long seed,
    @Nullable JsonNode stop,
    @Schema(minimum = "1", maximum = "16") @Nullable Integer n,
    @Nullable Boolean echo,
    @Schema(minimum = "0", maximum = "20") @Nullable Integer logprobs,
    @JsonProperty("return_token_ids") @Nullable Boolean returnTokenIds,
    @Nullable Boolean stream,
    @JsonProperty("stream_options") @Nullable StreamOptions streamOptions) {

  /** {@code include_usage}: a last chunk with the usage before {@code [DONE]}. */
  @Schema(name = "StreamOptions")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record StreamOptions(@JsonProperty("include_usage") @Nullable Boolean includeUsage) {}
}
