package io.adapterplatform.serving.openai;

import io.adapterplatform.serving.batch.GenerationRequest;
import io.adapterplatform.serving.chat.ChatMessage;
import io.adapterplatform.serving.chat.ChatTemplates;
import io.adapterplatform.serving.models.ModelResolver;
import io.adapterplatform.serving.models.ResolvedModel;
import io.adapterplatform.web.problem.ApiException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.stereotype.Service;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * {@code POST /v1/chat/completions}: renders the messages with the base model's chat template, then
 * runs them as a {@code /v1/completions} request on the rendered prompt and answers in the chat
 * shape.
 */
@Service
@ConditionalOnBooleanProperty(name = "platform.serving.engine.enabled", matchIfMissing = true)
public class ChatCompletionService {

  private final ModelResolver resolver;
  private final ChatTemplates templates;
  private final CompletionService completions;

  public ChatCompletionService(
      ModelResolver resolver, ChatTemplates templates, CompletionService completions) {
    this.resolver = resolver;
    this.templates = templates;
    this.completions = completions;
  }

  /**
   * Checks the request, renders its prompt and submits every choice.
   *
   * @throws ApiException 400 {@code no-chat-template} when the base model has no template (checked
   *     before the base model is started), 400 for a bad parameter, 404 for an unknown model
   */
  CompletionService.Running start(ChatCompletionRequest request, String token) {
    List<ChatMessage> messages = messages(request.messages());
    CompletionRequest completion = asCompletion(request, "");
    CompletionService.Parameters.of(completion);
    ResolvedModel model = resolver.resolve(request.model(), token);
    String prompt = templates.render(model.baseModel(), messages, token);
    return completions.start(asCompletion(request, prompt), model, token);
  }

  ChatCompletionResponse collect(CompletionService.Running running) throws InterruptedException {
    CompletionResponse done = completions.collect(running);
    List<ChatCompletionResponse.Choice> choices = new ArrayList<>();
    for (CompletionResponse.Choice c : done.choices()) {
      choices.add(
          new ChatCompletionResponse.Choice(
              c.index(),
              new ChatCompletionResponse.Message("assistant", c.text()),
              null,
              logprobs(c.logprobs()),
              c.finishReason()));
    }
    return new ChatCompletionResponse(
        chatId(done.id()), "chat.completion", done.created(), done.model(), choices, done.usage());
  }

  /** One {@code chat.completion.chunk} per delta; the first of each choice carries the role. */
  void stream(CompletionService.Running running, Consumer<ChatCompletionResponse> chunks)
      throws InterruptedException {
    boolean[] roleSent = new boolean[running.choices.size()];
    completions.stream(
        running,
        chunk -> {
          List<ChatCompletionResponse.Choice> choices = new ArrayList<>();
          for (CompletionResponse.Choice c : chunk.choices()) {
            String role = roleSent[c.index()] ? null : "assistant";
            roleSent[c.index()] = true;
            choices.add(
                new ChatCompletionResponse.Choice(
                    c.index(),
                    null,
                    new ChatCompletionResponse.Message(role, c.text()),
                    logprobs(c.logprobs()),
                    c.finishReason()));
          }
          chunks.accept(
              new ChatCompletionResponse(
                  chatId(chunk.id()),
                  "chat.completion.chunk",
                  chunk.created(),
                  chunk.model(),
                  choices,
                  chunk.usage()));
        });
  }

  private static String chatId(String completionId) {
    return "chat" + completionId;
  }

  private static CompletionRequest asCompletion(ChatCompletionRequest r, String prompt) {
    boolean logprobs = Boolean.TRUE.equals(r.logprobs());
    if (r.topLogprobs() != null && !logprobs) {
      throw ApiException.invalidField("top_logprobs", "needs logprobs: true");
    }
    if (r.topLogprobs() != null
        && (r.topLogprobs() < 0 || r.topLogprobs() > GenerationRequest.MAX_LOGPROBS)) {
      throw ApiException.invalidField(
          "top_logprobs",
          "must be in [0, " + GenerationRequest.MAX_LOGPROBS + "], got " + r.topLogprobs());
    }
    return new CompletionRequest(
        r.model(),
        JsonNodeFactory.instance.stringNode(prompt),
        r.maxTokens() != null ? r.maxTokens() : r.maxCompletionTokens(),
        r.temperature(),
        r.topP(),
        r.seed(),
        r.stop(),
        r.n(),
        false,
        logprobs ? (r.topLogprobs() == null ? 0 : r.topLogprobs()) : null,
        null,
        r.stream(),
        r.streamOptions());
  }

  private static List<ChatMessage> messages(List<ChatCompletionRequest.Message> messages) {
    if (messages == null || messages.isEmpty()) {
      throw ApiException.invalidField("messages", "must hold at least one message");
    }
    List<ChatMessage> out = new ArrayList<>();
    for (ChatCompletionRequest.Message m : messages) {
      if (m == null || m.role() == null || m.role().isBlank()) {
        throw ApiException.invalidField("messages", "every message needs a role");
      }
      out.add(new ChatMessage(m.role(), content(m.content())));
    }
    return out;
  }

  // a string, or text parts joined (images and audio have no meaning for these models)
  private static String content(JsonNode content) {
    if (content == null || content.isNull()) {
      return "";
    }
    if (content.isString()) {
      return content.asString();
    }
    if (content.isArray()) {
      StringBuilder text = new StringBuilder();
      for (JsonNode part : content) {
        if (!"text".equals(part.path("type").asString(null)) || !part.path("text").isString()) {
          throw ApiException.invalidField("messages", "content parts must be of type text");
        }
        text.append(part.get("text").asString());
      }
      return text.toString();
    }
    throw ApiException.invalidField("messages", "content must be a string or a list of parts");
  }

  // the legacy shape, position by position, turned into the chat one
  private static ChatCompletionResponse.Logprobs logprobs(CompletionResponse.Logprobs legacy) {
    if (legacy == null) {
      return null;
    }
    List<ChatCompletionResponse.TokenLogprob> content = new ArrayList<>();
    for (int i = 0; i < legacy.tokens().size(); i++) {
      Double logprob = legacy.tokenLogprobs().get(i);
      if (logprob == null) {
        continue;
      }
      List<ChatCompletionResponse.TopLogprob> top = new ArrayList<>();
      Map<String, Double> legacyTop = legacy.topLogprobs().get(i);
      if (legacyTop != null) {
        legacyTop.forEach(
            (token, p) -> top.add(new ChatCompletionResponse.TopLogprob(token, p, bytes(token))));
      }
      String token = legacy.tokens().get(i);
      content.add(new ChatCompletionResponse.TokenLogprob(token, logprob, bytes(token), top));
    }
    return new ChatCompletionResponse.Logprobs(content);
  }

  private static List<Integer> bytes(String token) {
    List<Integer> out = new ArrayList<>();
    for (byte b : token.getBytes(StandardCharsets.UTF_8)) {
      out.add(b & 0xff);
    }
    return out;
  }
}
