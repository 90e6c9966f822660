package io.adapterplatform.serving.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.adapterplatform.api.registry.client.BaseModelsApi;
import io.adapterplatform.engine.format.DType;
import io.adapterplatform.engine.testing.TinyModels;
import io.adapterplatform.serving.ServingTestBase;
import io.adapterplatform.web.problem.ApiException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

class ChatTemplatesTest extends ServingTestBase {

  @Autowired ChatTemplates templates;

  @Test
  void theTemplateComesFromTheBaseModelsTokenizerConfigInTheRegistry() throws Exception {
    String base = "chat-base-" + unique();
    Path d = dir();
    TinyModels.writeModel(d, DIMS, BASE_SEED, DType.F32, 1);
    try (InputStream in = getClass().getResourceAsStream("/chat/chatml-tokenizer_config.json")) {
      Files.write(d.resolve("tokenizer_config.json"), in.readAllBytes());
    }
    new BaseModelsApi(client(ADMIN))
        .uploadBaseModel(
            base,
            List.of(
                d.resolve("config.json").toFile(),
                d.resolve("model.safetensors").toFile(),
                d.resolve("tokenizer_config.json").toFile()));

    String prompt = templates.render(base, List.of(new ChatMessage("user", "Hi there")), ADMIN);

    assertThat(prompt)
        .isEqualTo(
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\nHi there<|im_end|>\n"
                + "<|im_start|>assistant\n");
  }

  @Test
  void aBaseModelWithoutATemplateIsAClear400() throws Exception {
    ensureBaseModel();

    assertThatThrownBy(() -> templates.render(BASE, List.of(new ChatMessage("user", "Hi")), ADMIN))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.status().value()).isEqualTo(400);
              assertThat(e.slug()).isEqualTo("no-chat-template");
              assertThat(e.getMessage()).contains(BASE).contains("chat_template");
            });
  }
}
