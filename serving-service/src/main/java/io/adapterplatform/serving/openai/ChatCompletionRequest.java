package io.adapterplatform.serving.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import org.jspecify.annotations.Nullable;
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
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChatCompletionRequest(
    String model,
    @ArraySchema(minItems = 1) List<Message> messages,
    @Schema(minimum = "0") @JsonProperty("max_tokens") @Nullable Integer maxTokens,
    @Schema(minimum = "0") @JsonProperty("max_completion_tokens")
        @Nullable Integer maxCompletionTokens,
    @Schema(minimum = "0", maximum = "2") @Nullable Double temperature,
    @JsonProperty("top_p") @Nullable Double topP,
    @Nullable Long seed,
    @Nullable JsonNode stop,
    @Schema(minimum = "1", maximum = "16") @Nullable Integer n,
    @Nullable Boolean logprobs,
    @Schema(minimum = "0") @JsonProperty("top_logprobs") @Nullable Integer topLogprobs,
    @Nullable Boolean stream,
    @JsonProperty("stream_options") CompletionRequest.@Nullable StreamOptions streamOptions) {

  /** {@code content} is a string or a list of {@code {"type": "text", "text": ...}} parts. */
  @Schema(name = "ChatRequestMessage")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Message(String role, @Nullable JsonNode content) {}
}
