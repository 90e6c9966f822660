package io.adapterplatform.serving.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** OpenAI's {@code text_completion} object (also each chunk of a stream). */
@Schema(name = "Completion")
@JsonInclude(JsonInclude.Include.ALWAYS)
public record CompletionResponse(
    String id,
    @Schema(allowableValues = "text_completion") String object,
    long created,
    String model,
    List<Choice> choices,
    @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Usage usage) {

  /**
   * One completion; {@code index} counts prompts first, then {@code n} choices per prompt. The
   * token ids are present only when {@code return_token_ids} asked for them.
   */
  @Schema(name = "CompletionChoice")
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record Choice(
      String text,
      int index,
      @Nullable Logprobs logprobs,
      @JsonProperty("finish_reason") @Nullable String finishReason,
      @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("prompt_token_ids")
          @Nullable List<Integer> promptTokenIds,
      @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("token_ids")
          @Nullable List<Integer> tokenIds) {}

  /**
   * The legacy log-probabilities, one entry per token of {@code text} (the echoed prompt first):
   * the first prompt token has none (null).
   */
  @Schema(name = "CompletionLogprobs")
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record Logprobs(
      List<String> tokens,
      @JsonProperty("token_logprobs") List<Double> tokenLogprobs,
      @JsonProperty("top_logprobs") List<Map<String, Double>> topLogprobs,
      @JsonProperty("text_offset") List<Integer> textOffset) {}

  @Schema(name = "CompletionUsage")
  public record Usage(
      @JsonProperty("prompt_tokens") int promptTokens,
      @JsonProperty("completion_tokens") int completionTokens,
      @JsonProperty("total_tokens") int totalTokens) {}
}
