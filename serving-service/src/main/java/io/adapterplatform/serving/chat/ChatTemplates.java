package io.adapterplatform.serving.chat;

import io.adapterplatform.serving.models.RegistryAccess;
import io.adapterplatform.web.problem.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;

/**
 * The chat template of each base model, read once from its {@code tokenizer_config.json} in the
 * registry (a base model's files never change).
 */
@Service
public class ChatTemplates {

  private final RegistryAccess registry;
  private final Map<String, Optional<ChatTemplate>> byBaseModel = new ConcurrentHashMap<>();

  public ChatTemplates(RegistryAccess registry) {
    this.registry = registry;
  }

  /**
   * The prompt for {@code messages} on {@code baseModel}, with the generation prompt added.
   *
   * @throws ApiException 400 {@code no-chat-template} when the base model has none, 400 {@code
   *     chat-template-refused} when its template refuses the messages
   */
  public String render(String baseModel, List<ChatMessage> messages, String token) {
    return template(baseModel, token)
        .orElseThrow(
            () ->
                ApiException.badRequest(
                    "no-chat-template",
                    "base model '"
                        + baseModel
                        + "' has no chat_template in its tokenizer_config.json: send a prompt to"
                        + " /v1/completions instead"))
        .render(messages, true);
  }

  /** The base model's template, absent when it has no tokenizer_config.json or no template. */
  public Optional<ChatTemplate> template(String baseModel, String token) {
    Optional<ChatTemplate> known = byBaseModel.get(baseModel);
    if (known != null) {
      return known;
    }
    Optional<ChatTemplate> read = read(baseModel, token);
    byBaseModel.putIfAbsent(baseModel, read);
    return read;
  }

  private Optional<ChatTemplate> read(String baseModel, String token) {
    byte[] config;
    try (InputStream in =
        registry.open(
            List.of("api", "v1", "base-models", baseModel, "files", "tokenizer_config.json"),
            token)) {
      config = in.readAllBytes();
    } catch (ApiException e) {
      if (e.status() == HttpStatus.NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the tokenizer config of " + baseModel, e);
    }
    try {
      return ChatTemplate.fromTokenizerConfig(config);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
