package io.adapterplatform.api;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.api.Test;

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

  @Test
  void aCompletionPromptGoesOutAsAStringOrAListOfTokenIds() throws Exception {
    JsonNode text =
        servingMapper.valueToTree(new CompletionRequest().model("tiny").prompt("c").stop("x"));
    JsonNode tokens =
        servingMapper.valueToTree(
            new CompletionRequest().model("tiny").prompt(List.of(1, 2)).stop(List.of("x", "y")));

    assertThat(text.get("prompt").isTextual()).isTrue();
    assertThat(text.get("prompt").asText()).isEqualTo("c");
    assertThat(text.get("stop").asText()).isEqualTo("x");
    assertThat(tokens.get("prompt").toString()).isEqualTo("[1,2]");
    assertThat(tokens.get("stop").toString()).isEqualTo("[\"x\",\"y\"]");
  }

  @Test
  void aChatMessageContentGoesOutAsAStringOrAListOfTextParts() throws Exception {
    JsonNode request =
        servingMapper.valueToTree(
            new ChatCompletionRequest()
                .model("tiny")
                .messages(
                    List.of(
                        new ChatRequestMessage().role("system").content("be brief"),
                        new ChatRequestMessage()
                            .role("user")
                            .content(List.of(Map.of("type", "text", "text", "hi"))))));

    assertThat(request.at("/messages/0/content").asText()).isEqualTo("be brief");
    assertThat(request.at("/messages/1/content/0/text").asText()).isEqualTo("hi");
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
