package io.adapterplatform.training.worker;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.adapterplatform.engine.train.TrainingExample;
import io.adapterplatform.engine.train.TrainingExamples;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Turns a data set's JSONL records into training examples with a base model's own {@code
 * tokenizer.json} (Hugging Face tokenizers through DJL, offline, no special tokens added: the
 * engine appends EOS itself) and the EOS id of its {@code config.json}. Records as {@link
 * TrainingExamples#fromRecord}: {@code {"prompt","completion"}} or {@code {"text"}}.
 */
public final class DatasetTokenizer implements AutoCloseable {

  private final HuggingFaceTokenizer tokenizer;
  private final int eosId;

  private DatasetTokenizer(HuggingFaceTokenizer tokenizer, int eosId) {
    this.tokenizer = tokenizer;
    this.eosId = eosId;
  }

  /** The examples of a data set, and how many records were left with nothing to learn. */
  public record Tokenized(List<TrainingExample> examples, int skipped) {
    public Tokenized {
      examples = List.copyOf(examples);
    }
  }

  /**
   * The tokenizer of the model directory {@code modelDir} ({@code tokenizer.json}, {@code
   * config.json}'s {@code eos_token_id}; a list of ids gives its first).
   *
   * @throws IllegalArgumentException when either file is missing or unusable
   */
  public static DatasetTokenizer open(Path modelDir) {
    int eos = eosId(modelDir.resolve("config.json"));
    Path file = modelDir.resolve("tokenizer.json");
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + ": missing: training needs the model's tokenizer");
    }
    try {
      // DJL truncates to 512 tokens unless told otherwise: maxSeqLen is the only cut wanted here.
      return new DatasetTokenizer(
          HuggingFaceTokenizer.builder()
              .optTokenizerPath(file)
              .optAddSpecialTokens(false)
              .optTruncation(false)
              .build(),
          eos);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          file + ": cannot be loaded as a Hugging Face tokenizer: " + e.getMessage(), e);
    }
  }

  public int eosId() {
    return eosId;
  }

  /** The token ids of {@code text}. */
  public int[] encode(String text) {
    return Arrays.stream(tokenizer.encode(text).getIds()).mapToInt(Math::toIntExact).toArray();
  }

  /**
   * Every record of {@code jsonl} (blank lines skipped), cut to {@code maxSeqLen} tokens.
   *
   * @throws IllegalArgumentException naming the 1-based line of the first bad record
   */
  public Tokenized examples(BufferedReader jsonl, int maxSeqLen) {
    List<TrainingExample> out = new ArrayList<>();
    int skipped = 0;
    int lineNumber = 0;
    try {
      String line;
      while ((line = jsonl.readLine()) != null) {
        lineNumber++;
        if (line.isBlank()) {
          continue;
        }
        Optional<TrainingExample> example;
        try {
          example = TrainingExamples.fromRecord(line, this::encode, eosId, maxSeqLen);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("line " + lineNumber + ": " + e.getMessage(), e);
        }
        if (example.isPresent()) {
          out.add(example.get());
        } else {
          skipped++;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the data set at line " + (lineNumber + 1), e);
    }
    return new Tokenized(out, skipped);
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  private static int eosId(Path config) {
    try {
      JsonObject o =
          JsonParser.parseString(Files.readString(config, StandardCharsets.UTF_8))
              .getAsJsonObject();
      JsonElement e = o.get("eos_token_id");
      if (e != null && e.isJsonArray() && !e.getAsJsonArray().isEmpty()) {
        e = e.getAsJsonArray().get(0);
      }
      if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
        throw new IllegalArgumentException(config + ": no eos_token_id: training needs one");
      }
      return e.getAsInt();
    } catch (IOException e) {
      throw new IllegalArgumentException(config + ": cannot be read: " + e.getMessage(), e);
    } catch (IllegalStateException | com.google.gson.JsonParseException e) {
      throw new IllegalArgumentException(config + ": not a JSON object: " + e.getMessage(), e);
    }
  }
}
