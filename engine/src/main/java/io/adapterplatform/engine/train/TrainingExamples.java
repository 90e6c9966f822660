package io.adapterplatform.engine.train;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Dataset records to {@link TrainingExample}s. Tokenization stays with the caller (a {@code
 * Function<String, int[]>}, e.g. a Hugging Face tokenizer without special tokens or with the BOS
 * the model expects).
 *
 * <ul>
 *   <li>{@code {"prompt", "completion"}}: the prompt's tokens, then the completion's, then EOS; the
 *       loss counts the completion's tokens and EOS only.
 *   <li>{@code {"text"}}: the text's tokens, then EOS; the loss counts every token (the first one
 *       excepted: nothing predicts it).
 * </ul>
 *
 * Sequences longer than {@code maxSeqLen} are cut to their first {@code maxSeqLen} tokens (Hugging
 * Face's default, right truncation; EOS is then cut too). A record left with no token to learn (a
 * prompt of {@code maxSeqLen} tokens or more, an empty text) gives no example: {@link
 * Optional#empty()}, for the caller to count.
 */
public final class TrainingExamples {

  private TrainingExamples() {}

  /** prompt + completion + EOS, the loss on completion and EOS. */
  public static Optional<TrainingExample> promptCompletion(
      int[] prompt, int[] completion, int eosId, int maxSeqLen) {
    checkLength(maxSeqLen);
    int[] all = new int[prompt.length + completion.length + 1];
    System.arraycopy(prompt, 0, all, 0, prompt.length);
    System.arraycopy(completion, 0, all, prompt.length, completion.length);
    all[all.length - 1] = eosId;
    int[] kept = all.length > maxSeqLen ? Arrays.copyOf(all, maxSeqLen) : all;
    if (kept.length < 2 || prompt.length >= kept.length) {
      return Optional.empty();
    }
    return Optional.of(new TrainingExample(kept, prompt.length));
  }

  /** text + EOS, the loss on every token. */
  public static Optional<TrainingExample> text(int[] text, int eosId, int maxSeqLen) {
    return promptCompletion(new int[0], text, eosId, maxSeqLen);
  }

  /**
   * One JSONL record ({@code {"prompt","completion"}} or {@code {"text"}}, other fields ignored).
   *
   * @throws IllegalArgumentException when the line is not such a record
   */
  public static Optional<TrainingExample> fromRecord(
      String jsonLine, Function<String, int[]> tokenizer, int eosId, int maxSeqLen) {
    JsonObject record;
    try {
      JsonElement parsed = JsonParser.parseString(jsonLine);
      if (!parsed.isJsonObject()) {
        throw new IllegalArgumentException("a record must be a JSON object");
      }
      record = parsed.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
    }
    if (record.has("prompt") || record.has("completion")) {
      return promptCompletion(
          tokenizer.apply(string(record, "prompt")),
          tokenizer.apply(string(record, "completion")),
          eosId,
          maxSeqLen);
    }
    if (record.has("text")) {
      return text(tokenizer.apply(string(record, "text")), eosId, maxSeqLen);
    }
    throw new IllegalArgumentException("a record needs \"prompt\" and \"completion\", or \"text\"");
  }

  /** A data set split into training and held-out examples. */
  public record Split(List<TrainingExample> train, List<TrainingExample> eval) {
    public Split {
      train = List.copyOf(train);
      eval = List.copyOf(eval);
    }
  }

  /**
   * Holds out {@code round(evalFraction × size)} examples (at least 1 when the fraction is
   * positive, and never all), chosen by a shuffle seeded by {@code seed}; both parts keep the
   * input's order. The same inputs give the same split, so a resumed job trains on the same
   * examples.
   */
  public static Split split(List<TrainingExample> all, double evalFraction, long seed) {
    if (!(evalFraction >= 0 && evalFraction < 1)) {
      throw new IllegalArgumentException("evalFraction must be in [0, 1), got " + evalFraction);
    }
    int held = (int) Math.round(evalFraction * all.size());
    if (evalFraction > 0) {
      held = Math.max(1, held);
    }
    if (held >= all.size()) {
      throw new IllegalArgumentException(
          "holding out " + held + " of " + all.size() + " examples leaves none to train on");
    }
    int[] order = new int[all.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    var rng = new SplittableRandom(seed);
    for (int i = order.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    boolean[] isEval = new boolean[all.size()];
    for (int i = 0; i < held; i++) {
      isEval[order[i]] = true;
    }
    List<TrainingExample> train = new ArrayList<>();
    List<TrainingExample> eval = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      (isEval[i] ? eval : train).add(all.get(i));
    }
    return new Split(train, eval);
  }

  private static String string(JsonObject record, String field) {
    JsonElement v = record.get(field);
    if (v == null || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
      throw new IllegalArgumentException("\"" + field + "\" must be a string");
    }
    return v.getAsString();
  }

  private static void checkLength(int maxSeqLen) {
    if (maxSeqLen < 2) {
      throw new IllegalArgumentException("maxSeqLen must be at least 2, got " + maxSeqLen);
    }
  }
}
