package io.adapterplatform.training.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.adapterplatform.engine.testing.TinyModels;
import io.adapterplatform.engine.train.TrainingExample;
import java.io.BufferedReader;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetTokenizerTest {

  @TempDir Path modelDir;

  @Test
  void turnsPromptCompletionAndTextRecordsIntoExamplesWithTheModelsTokenizerAndEos()
      throws Exception {
    TinyModels.writeTokenizer(modelDir);
    TinyModels.writeConfig(modelDir, TinyModels.tokenizerDims(), TinyModels.EOS_ID);
    String jsonl =
        """
        {"prompt": "Say the", "completion": " answer"}

        {"text": "the end", "source": "ignored"}
        {"prompt": "a very long prompt that leaves nothing", "completion": "x"}
        """;

    DatasetTokenizer.Tokenized out;
    int[] say;
    int[] answer;
    int[] theEnd;
    try (var tokenizer = DatasetTokenizer.open(modelDir);
        var reference =
            HuggingFaceTokenizer.builder()
                .optTokenizerPath(modelDir.resolve("tokenizer.json"))
                .optAddSpecialTokens(false)
                .build()) {
      out = tokenizer.examples(new BufferedReader(new StringReader(jsonl)), 12);
      say = ids(reference, "Say the");
      answer = ids(reference, " answer");
      theEnd = ids(reference, "the end");
      assertThat(tokenizer.eosId()).isEqualTo(TinyModels.EOS_ID);
    }

    assertThat(out.skipped()).isEqualTo(1);
    assertThat(out.examples()).hasSize(2);
    TrainingExample pc = out.examples().get(0);
    assertThat(pc.promptLength()).isEqualTo(say.length);
    assertThat(pc.tokens()).containsExactly(concat(say, answer, new int[] {TinyModels.EOS_ID}));
    assertThat(say).contains(258); // the merge "Ġthe": the real BPE ran, not bytes
    TrainingExample text = out.examples().get(1);
    assertThat(text.promptLength()).isZero();
    assertThat(text.tokens()).containsExactly(concat(theEnd, new int[] {TinyModels.EOS_ID}));
  }

  @Test
  void namesTheLineOfABadRecordAndRejectsAModelWithoutEos() throws Exception {
    TinyModels.writeTokenizer(modelDir);
    TinyModels.writeConfig(modelDir, TinyModels.tokenizerDims(), TinyModels.EOS_ID);

    try (var tokenizer = DatasetTokenizer.open(modelDir)) {
      assertThatThrownBy(
              () ->
                  tokenizer.examples(
                      new BufferedReader(new StringReader("{\"text\":\"ok\"}\n{\"nope\":1}\n")),
                      16))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("line 2: ");
    }
    Files.writeString(modelDir.resolve("config.json"), "{\"vocab_size\": 260}");
    assertThatThrownBy(() -> DatasetTokenizer.open(modelDir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("eos_token_id");
  }

  @Test
  void aRecordLongerThanTheTokenizersDefaultMaxLengthIsCutOnlyByMaxSeqLen() throws Exception {
    TinyModels.writeTokenizer(modelDir);
    TinyModels.writeConfig(modelDir, TinyModels.tokenizerDims(), TinyModels.EOS_ID);
    String text = "x".repeat(700); // one byte token per character, no merge applies

    try (var tokenizer = DatasetTokenizer.open(modelDir)) {
      assertThat(tokenizer.encode(text)).hasSize(700);
      var out =
          tokenizer.examples(
              new BufferedReader(new StringReader("{\"text\":\"" + text + "\"}")), 1024);
      assertThat(out.examples().getFirst().tokens()).hasSize(701);
    }
  }

  private static int[] ids(HuggingFaceTokenizer t, String text) {
    return Arrays.stream(t.encode(text).getIds()).mapToInt(Math::toIntExact).toArray();
  }

  private static int[] concat(int[]... parts) {
    return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
  }
}
