package io.adapterplatform.training.dataset;

import io.adapterplatform.engine.train.TrainingExamples;
import io.adapterplatform.training.registry.RegistryClient;
import io.adapterplatform.training.worker.DatasetTokenizer;
import io.adapterplatform.web.problem.ApiException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * Counts the tokens a dataset trains on with a base model's own tokenizer, exactly as a worker
 * tokenizes it ({@link DatasetTokenizer}): per record the prompt's tokens, the completion's and EOS
 * (or the text's and EOS), without a {@code maxSeqLen} cut, which belongs to a job. The tokenizer
 * files come from the registry with the caller's token, so the caller's scopes decide which base
 * models exist.
 */
@Component
class DatasetTokenCounter {

  private final RegistryClient registry;

  DatasetTokenCounter(RegistryClient registry) {
    this.registry = registry;
  }

  /** The tokens of the checked JSONL file {@code jsonl}, by {@code baseModel}'s tokenizer. */
  long count(String bearerToken, String baseModel, Path jsonl) {
    Path dir = temporaryDirectory();
    try {
      if (registry.tokenizerFiles(bearerToken, baseModel, dir).isEmpty()) {
        throw invalidBaseModel("base model '" + baseModel + "' does not exist");
      }
      DatasetTokenizer tokenizer;
      try {
        tokenizer = DatasetTokenizer.open(dir);
      } catch (IllegalArgumentException e) {
        throw invalidBaseModel(
            "base model '"
                + baseModel
                + "' has no tokenizer to count with: "
                + unqualified(e, dir));
      }
      try (tokenizer;
          var lines = Files.lines(jsonl, StandardCharsets.UTF_8)) {
        return lines
            .filter(line -> !line.isBlank())
            .mapToLong(
                line ->
                    TrainingExamples.fromRecord(
                            line, tokenizer::encode, tokenizer.eosId(), Integer.MAX_VALUE)
                        .map(example -> (long) example.tokens().length)
                        .orElse(0L))
            .sum();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the spooled dataset " + jsonl, e);
      }
    } finally {
      deleteTree(dir);
    }
  }

  private static ApiException invalidBaseModel(String detail) {
    return ApiException.unprocessable(
        "invalid-reference", detail, List.of(new ApiException.FieldError("baseModel", detail)));
  }

  /** The reason without this server's temporary paths, which mean nothing to a client. */
  private static String unqualified(IllegalArgumentException e, Path dir) {
    return e.getMessage().replace(dir.toString() + "/", "");
  }

  private static Path temporaryDirectory() {
    try {
      return Files.createTempDirectory("dataset-tokenizer-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteTree(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(JsonlSpool::delete);
    } catch (IOException e) {
      // A temporary directory left behind goes with the JVM's temporary directory.
    }
  }
}
