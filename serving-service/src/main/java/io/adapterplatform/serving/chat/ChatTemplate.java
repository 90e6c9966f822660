package io.adapterplatform.serving.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import io.adapterplatform.web.problem.ApiException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A base model's chat template from its {@code tokenizer_config.json}, rendered as transformers'
 * {@code apply_chat_template} renders it: Jinja with {@code trim_blocks} and {@code lstrip_blocks}
 * on, a {@code raise_exception(message)} global that fails the rendering, and the variables {@code
 * messages}, {@code add_generation_prompt} and the special tokens ({@code bos_token}, {@code
 * eos_token}, {@code unk_token}, {@code pad_token} when the config names them). The engine is
 * Jinjava with its Jinja-compatibility overrides on.
 */
public final class ChatTemplate {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Jinjava JINJA = jinja();

  private final String source;
  private final Map<String, String> specialTokens;

  ChatTemplate(String source, Map<String, String> specialTokens) {
    this.source = source;
    this.specialTokens = Map.copyOf(specialTokens);
  }

  /**
   * The template of a {@code tokenizer_config.json}: its {@code chat_template} (a string, or a list
   * of named templates of which the one named {@code default} is taken), absent when it has none.
   *
   * @throws IllegalArgumentException when the file is not a JSON object
   */
  public static Optional<ChatTemplate> fromTokenizerConfig(byte[] json) {
    JsonNode config;
    try {
      config = JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("tokenizer_config.json is not JSON: " + e.getMessage(), e);
    }
    if (config == null || !config.isObject()) {
      throw new IllegalArgumentException("tokenizer_config.json is not a JSON object");
    }
    Optional<String> source = template(config.get("chat_template"));
    Map<String, String> tokens = new LinkedHashMap<>();
    for (String name : List.of("bos_token", "eos_token", "unk_token", "pad_token")) {
      token(config.get(name)).ifPresent(t -> tokens.put(name, t));
    }
    return source.map(s -> new ChatTemplate(s, tokens));
  }

  private static Optional<String> template(JsonNode node) {
    if (node == null || node.isNull()) {
      return Optional.empty();
    }
    if (node.isTextual()) {
      return Optional.of(node.asText());
    }
    if (node.isArray()) {
      for (JsonNode named : node) {
        if ("default".equals(named.path("name").asText()) && named.path("template").isTextual()) {
          return Optional.of(named.get("template").asText());
        }
      }
    }
    return Optional.empty();
  }

  // a token is a string, or an AddedToken object whose "content" is the string
  private static Optional<String> token(JsonNode node) {
    if (node == null || node.isNull()) {
      return Optional.empty();
    }
    if (node.isTextual()) {
      return Optional.of(node.asText());
    }
    return node.path("content").isTextual()
        ? Optional.of(node.get("content").asText())
        : Optional.empty();
  }

  /** The special tokens the template sees, by variable name. */
  public Map<String, String> specialTokens() {
    return specialTokens;
  }

  /**
   * The prompt for {@code messages}.
   *
   * @throws ApiException 400 {@code chat-template-refused} with the template's own message when it
   *     calls {@code raise_exception} (roles out of order, an unsupported role), or with the
   *     engine's message when the template cannot be rendered for these messages
   */
  public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
    Map<String, Object> variables = new HashMap<>(specialTokens);
    List<Map<String, Object>> plain = new ArrayList<>();
    for (ChatMessage m : messages) {
      Map<String, Object> message = new LinkedHashMap<>();
      message.put("role", m.role());
      message.put("content", m.content());
      plain.add(message);
    }
    variables.put("messages", plain);
    variables.put("add_generation_prompt", addGenerationPrompt);
    RenderResult result = JINJA.renderForResult(source, variables);
    List<TemplateError> fatal =
        result.getErrors().stream()
            .filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL)
            .toList();
    if (!fatal.isEmpty()) {
      TemplateError first = fatal.getFirst();
      throw ApiException.badRequest(
          "chat-template-refused",
          raised(first.getException())
              .orElse(
                  "the model's chat template cannot render these messages: " + first.getMessage()));
    }
    return result.getOutput();
  }

  /** Called by templates as {@code raise_exception(message)}: fails the rendering with it. */
  public static Object raiseException(String message) {
    throw new Raised(message);
  }

  /** What a template's {@code raise_exception} threw, wherever the engine wrapped it. */
  private static final class Raised extends RuntimeException {
    Raised(String message) {
      super(message);
    }
  }

  private static Optional<String> raised(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof Raised r) {
        return Optional.of(r.getMessage());
      }
    }
    return Optional.empty();
  }

  private static Jinjava jinja() {
    var jinjava =
        new Jinjava(
            JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                // Jinja's behaviour where Jinjava's own differs, except that Jinja needs no space
                // inside delimiters ({{'<|im_start|>'}} is an expression)
                .withLegacyOverrides(
                    LegacyOverrides.Builder.from(LegacyOverrides.ALL)
                        .withWhitespaceRequiredWithinTokens(false)
                        .build())
                .build());
    jinjava.registerFunction(
        new ELFunctionDefinition(
            "", "raise_exception", ChatTemplate.class, "raiseException", String.class));
    return jinjava;
  }
}
