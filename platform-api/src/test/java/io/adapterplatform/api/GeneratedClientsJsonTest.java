package io.adapterplatform.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.adapterplatform.api.serving.model.ChatCompletionRequest;
import io.adapterplatform.api.serving.model.ChatRequestMessage;
import io.adapterplatform.api.serving.model.Completion;
import io.adapterplatform.api.serving.model.CompletionRequest;
import io.adapterplatform.api.training.model.Job;
import io.adapterplatform.api.training.model.JobMethod;
import io.adapterplatform.api.training.model.JobOutput;
import io.adapterplatform.api.training.model.JobRequest;
import io.adapterplatform.api.training.model.JobState;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What the generated training and serving clients put on the wire: the serving client's "string or
 * list" fields are plain {@code Object}s (the pom maps them; the generated oneOf wrappers do not
 * compile), so each shape must still come out as the contract's JSON.
 */
class GeneratedClientsJsonTest {

  private final ObjectMapper servingMapper =
      io.adapterplatform.api.serving.invoker.ApiClient.createDefaultObjectMapper();
  private final ObjectMapper trainingMapper =
      io.adapterplatform.api.training.invoker.ApiClient.createDefaultObjectMapper();

  /** A request, where in its JSON a "string or list" field stands, and that field's JSON. */
  static Stream<Arguments> stringOrListFields() {
    return Stream.of(
        arguments(
            named("a prompt as a string", new CompletionRequest().model("tiny").prompt("c")),
            "/prompt",
            "\"c\""),
        arguments(
            named(
                "a prompt as token ids",
                new CompletionRequest().model("tiny").prompt(List.of(1, 2))),
            "/prompt",
            "[1,2]"),
        arguments(
            named(
                "a stop as a string", new CompletionRequest().model("tiny").prompt("c").stop("x")),
            "/stop",
            "\"x\""),
        arguments(
            named(
                "a stop as a list",
                new CompletionRequest().model("tiny").prompt("c").stop(List.of("x", "y"))),
            "/stop",
            "[\"x\",\"y\"]"),
        arguments(
            named(
                "a chat content as a string",
                chat(new ChatRequestMessage().role("system").content("be brief"))),
            "/messages/0/content",
            "\"be brief\""),
        arguments(
            named(
                "a chat content as text parts",
                chat(
                    new ChatRequestMessage()
                        .role("user")
                        .content(List.of(Map.of("type", "text", "text", "hi"))))),
            "/messages/0/content",
            "[{\"type\":\"text\",\"text\":\"hi\"}]"));
  }

  private static ChatCompletionRequest chat(ChatRequestMessage message) {
    return new ChatCompletionRequest().model("tiny").messages(List.of(message));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("stringOrListFields")
  void aStringOrListFieldGoesOutAsTheContractsJson(Object request, String pointer, String json)
      throws Exception {
    assertThat(servingMapper.valueToTree(request).at(pointer))
        .isEqualTo(servingMapper.readTree(json));
  }

  @Test
  void aCompletionIsReadWithPropertiesTheClientDoesNotKnow() throws Exception {
    Completion completion =
        servingMapper.readValue(
            """
            {"id": "cmpl-1", "object": "text_completion", "created": 1, "model": "tiny",
             "choices": [{"index": 0, "text": "bcdef", "finish_reason": "length",
                          "token_ids": [1, 2], "a_future_field": true}]}""",
            Completion.class);

    assertThat(completion.getChoices())
        .singleElement()
        .satisfies(c -> assertThat(c.getText()).isEqualTo("bcdef"));
  }

  @Test
  void aJobRequestLeavesOutAnAliasItDoesNotSetAndAJobReadsBack() throws Exception {
    JsonNode request =
        trainingMapper.valueToTree(
            new JobRequest()
                .baseModel("tiny")
                .dataset("letters@1")
                .method(JobMethod.LORA)
                .output(new JobOutput().adapter("letters")));
    Job job =
        trainingMapper.readValue(
            """
            {"id": "0b6b3c52-7a8e-4f0e-9d3b-2f1a6c0e5d11", "state": "SUCCEEDED", "baseModel": "tiny",
             "dataset": "letters@1", "output": {"adapter": "letters"}, "method": "LORA",
             "fusedWith": [], "result": {"adapter": "letters", "version": 1}}""",
            Job.class);

    assertThat(request.get("output").has("alias")).isFalse();
    assertThat(request.get("method").asText()).isEqualTo("LORA");
    assertThat(job.getState()).isEqualTo(JobState.SUCCEEDED);
    assertThat(job.getResult().getVersion()).isEqualTo(1);
  }
}
