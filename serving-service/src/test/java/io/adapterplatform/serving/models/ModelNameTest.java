package io.adapterplatform.serving.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.adapterplatform.web.problem.ApiException;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ModelNameTest {

  @Test
  void aBareNameHasNoRef() {
    assertThat(ModelName.parse("tiny-llama"))
        .isEqualTo(new ModelName("tiny-llama", Optional.empty()));
  }

  @Test
  void versionsAndAliasesFollowTheAt() {
    assertThat(ModelName.parse("support-bot@3").ref()).contains("3");
    assertThat(ModelName.parse("support-bot@production"))
        .isEqualTo(new ModelName("support-bot", Optional.of("production")));
    assertThat(ModelName.parse("support-bot@production")).hasToString("support-bot@production");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "@3", "bot@", "bot@@3", "bot@3@4", "Bot", "bot@Prod", "-bot", "a b"})
  void malformedNamesAreA400NamingTheField(String model) {
    assertThatThrownBy(() -> ModelName.parse(model))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.status().value()).isEqualTo(400);
              assertThat(e.errors())
                  .extracting(ApiException.FieldError::field)
                  .containsExactly("model");
            });
  }
}
