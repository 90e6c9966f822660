package io.adapterplatform.serving.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.adapterplatform.web.problem.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Real templates (a ChatML one as Qwen2 ships it, Llama-2's, and a Zephyr-style one written over
 * lines so that trim_blocks and lstrip_blocks matter) against the strings transformers'
 * apply_chat_template gives, worked out by hand from Jinja's rules.
 */
class ChatTemplateTest {

  static final ChatMessage SYSTEM = new ChatMessage("system", "Be brief.");
  static final ChatMessage HI = new ChatMessage("user", "Hi");
  static final ChatMessage HELLO = new ChatMessage("assistant", "Hello!");
  static final ChatMessage BYE = new ChatMessage("user", "Bye");

  @Test
  void chatMlAddsItsDefaultSystemMessageAndTheGenerationPrompt() {
    var template = template("chatml");

    assertThat(template.render(List.of(new ChatMessage("user", "Hi there")), true))
        .isEqualTo(
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\nHi there<|im_end|>\n"
                + "<|im_start|>assistant\n");
    assertThat(template.render(List.of(SYSTEM, HI, HELLO, BYE), true))
        .isEqualTo(
            "<|im_start|>system\nBe brief.<|im_end|>\n"
                + "<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\nHello!<|im_end|>\n"
                + "<|im_start|>user\nBye<|im_end|>\n"
                + "<|im_start|>assistant\n");
    assertThat(template.render(List.of(SYSTEM, HI), false))
        .isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n");
  }

  @Test
  void llama2FoldsTheSystemMessageIntoTheFirstTurnWithBosAndEosTokens() {
    var template = template("llama2");

    assertThat(template.specialTokens())
        .containsEntry("bos_token", "<s>")
        .containsEntry("eos_token", "</s>");
    assertThat(template.render(List.of(SYSTEM, HI, HELLO, BYE), true))
        .isEqualTo(
            "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] Bye [/INST]");
    assertThat(template.render(List.of(new ChatMessage("user", "  Hi  ")), true))
        .isEqualTo("<s>[INST] Hi [/INST]");
  }

  @Test
  void raiseExceptionInATemplateIsA400WithTheTemplatesMessage() {
    var template = template("llama2");

    assertThatThrownBy(() -> template.render(List.of(HI, BYE), true))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.status().value()).isEqualTo(400);
              assertThat(e.slug()).isEqualTo("chat-template-refused");
              assertThat(e.getMessage())
                  .isEqualTo("Conversation roles must alternate user/assistant/user/assistant/...");
            });
  }

  @Test
  void blockTagsTakeTheirLinesWhitespaceAndNewlineWithThem() {
    var template = template("zephyr");

    assertThat(template.render(List.of(SYSTEM, HI, HELLO, BYE), true))
        .isEqualTo(
            "<|system|>Be brief.</s>\n<|user|>Hi</s>\n<|assistant|>Hello!</s>\n<|user|>Bye</s>\n"
                + "<|assistant|>\n");
  }

  @Test
  void aConfigWithoutATemplateHasNone() throws IOException {
    assertThat(ChatTemplate.fromTokenizerConfig(resource("no-template"))).isEmpty();
    assertThatThrownBy(() -> ChatTemplate.fromTokenizerConfig("[1]".getBytes()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static ChatTemplate template(String name) {
    try {
      return ChatTemplate.fromTokenizerConfig(resource(name)).orElseThrow();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in =
        ChatTemplateTest.class.getResourceAsStream("/chat/" + name + "-tokenizer_config.json")) {
      return in.readAllBytes();
    }
  }
}
