package io.adapterplatform.serving.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * OpenAI's {@code chat.completion} object, and its {@code chat.completion.chunk} when streamed
 * (then each choice has a {@code delta} instead of a {@code message}).
 */
@Schema(name = "ChatCompletion")
@JsonInclude(JsonInclude.Include.ALWAYS)
public record ChatCompletionResponse(
    String id,
    @Schema(allowableValues = {"chat.completion", "chat.completion.chunk"}) String object,
    long created,
    String model,
    List<Choice> choices,
    @JsonInclude(JsonInclude.Include.NON_NULL) CompletionResponse.@Nullable Usage usage) {

  @Schema(name = "ChatCompletionChoice")
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record Choice(
      int index,
      @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Message message,
      @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Message delta,
      @Nullable Logprobs logprobs,
      @JsonProperty("finish_reason") @Nullable String finishReason) {}

  /** The assistant's message; in a chunk's delta only the first carries the role. */
  @Schema(name = "ChatMessage")
  public record Message(
      @Schema(allowableValues = "assistant") @JsonInclude(JsonInclude.Include.NON_NULL)
          @Nullable String role,
      @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String content) {}

  @Schema(name = "ChatLogprobs")
  public record Logprobs(List<TokenLogprob> content) {}

  /** One generated token: its text, log-probability, UTF-8 bytes and the most probable tokens. */
  @Schema(name = "ChatTokenLogprob")
  public record TokenLogprob(
      String token,
      double logprob,
      List<Integer> bytes,
      @JsonProperty("top_logprobs") List<TopLogprob> topLogprobs) {}

  @Schema(name = "ChatTopLogprob")
  public record TopLogprob(String token, double logprob, List<Integer> bytes) {}
}
