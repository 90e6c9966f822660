package io.adapterplatform.serving.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * OpenAI's {@code chat.completion} object, and its {@code chat.completion.chunk} when streamed
 * (then each choice has a {@code delta} instead of a {@code message}).
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record ChatCompletionResponse(
    String id,
    String object,
    long created,
    String model,
    List<Choice> choices,
    @JsonInclude(JsonInclude.Include.NON_NULL) CompletionResponse.Usage usage) {

  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record Choice(
      int index,
      @JsonInclude(JsonInclude.Include.NON_NULL) Message message,
      @JsonInclude(JsonInclude.Include.NON_NULL) Message delta,
      Logprobs logprobs,
      @JsonProperty("finish_reason") String finishReason) {}

  /** The assistant's message; in a chunk's delta only the first carries the role. */
  public record Message(
      @JsonInclude(JsonInclude.Include.NON_NULL) String role,
      @JsonInclude(JsonInclude.Include.NON_NULL) String content) {}

  public record Logprobs(List<TokenLogprob> content) {}

  /** One generated token: its text, log-probability, UTF-8 bytes and the most probable tokens. */
  public record TokenLogprob(
      String token,
      double logprob,
      List<Integer> bytes,
      @JsonProperty("top_logprobs") List<TopLogprob> topLogprobs) {}

  public record TopLogprob(String token, double logprob, List<Integer> bytes) {}
}
