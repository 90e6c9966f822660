package io.adapterplatform.engine.cli;

import ai.djl.Device;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.adapterplatform.engine.adapter.AdapterCheckpoint;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.format.FormatException;
import io.adapterplatform.engine.format.ModelConfig;
import io.adapterplatform.engine.fused.AdapterPool;
import io.adapterplatform.engine.fused.GroupedLora;
import io.adapterplatform.engine.model.AdapterHook;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.Devices;
import io.adapterplatform.engine.model.KvCache;
import io.adapterplatform.engine.model.ModelDirectory;
import io.adapterplatform.engine.model.Segment;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The engine's command line ({@code bin/platform engine ...}): score, generate, inspect. Every
 * answer is one JSON line on stdout; logs go to stderr. Bad input ends with exit code 1 (2 for
 * usage errors) and one line on stderr, without a stack trace unless {@code --debug} is given.
 *
 * <pre>
 * score    --model DIR [--adapter DIR] (--tokens 1,2,3 | --text "...")   → {"token_logprobs": [null, lp1, ...]}
 * generate --model DIR [--adapter DIR] (--tokens ... | --text ...) --max-tokens N [--stop-at-eos]
 *                                                                       → {"token_ids": [...]} (new tokens only)
 * inspect  DIR                                                          → one JSON object describing it
 * tiny     --out DIR [--seed N]   writes a random tiny model and one adapter of each kind → their paths
 * common:  --device cpu|gpu|gpu:N   --debug
 * </pre>
 */
public final class EngineCli {

  private EngineCli() {}

  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    System.out.flush();
    System.exit(code);
  }

  /** Runs one command; returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    boolean debug = Arrays.asList(args).contains("--debug");
    try {
      CliArgs a = CliArgs.parse(args);
      String json =
          switch (a.command()) {
            case "score" -> score(a);
            case "generate" -> generate(a);
            case "inspect" -> Inspect.describe(a.positional());
            case "tiny" -> Tiny.write(a);
            default -> throw new UsageException("unknown command '" + a.command() + "'");
          };
      out.println(json);
      return 0;
    } catch (UsageException e) {
      err.println("engine: " + e.getMessage() + " (usage: " + CliArgs.USAGE + ")");
      trace(debug, e, err);
      return 2;
    } catch (FormatException | IllegalArgumentException | UncheckedIOException e) {
      err.println("engine: " + oneLine(e.getMessage()));
      trace(debug, e, err);
      return 1;
    } catch (RuntimeException e) {
      err.println(
          "engine: internal error: "
              + e.getClass().getSimpleName()
              + ": "
              + oneLine(e.getMessage()));
      trace(debug, e, err);
      return 1;
    }
  }

  private static void trace(boolean debug, Exception e, PrintStream err) {
    if (debug) {
      e.printStackTrace(err);
    }
  }

  private static String oneLine(String s) {
    return s == null ? "(no message)" : s.replaceAll("\\s*\\R\\s*", " ");
  }

  static String score(CliArgs a) {
    Path modelDir = a.requireDir("--model");
    try (Loaded loaded = Loaded.of(modelDir, a.optionalDir("--adapter"), device(a))) {
      int[] tokens = tokens(a, modelDir);
      double[][] logits;
      try (NDManager step = loaded.model.manager().newSubManager()) {
        logits =
            rows(
                loaded
                    .model
                    .forward(
                        step,
                        tokens,
                        List.of(Segment.of(tokens.length)),
                        loaded.hook(step, tokens.length))
                    .toFloatArray(),
                loaded.model.dims().vocabSize());
      }
      StringBuilder json = new StringBuilder("{\"token_logprobs\": [null");
      for (int i = 1; i < tokens.length; i++) {
        json.append(", ").append(logSoftmaxAt(logits[i - 1], tokens[i]));
      }
      return json.append("]}").toString();
    }
  }

  static String generate(CliArgs a) {
    Path modelDir = a.requireDir("--model");
    int max = a.requireInt("--max-tokens");
    if (max < 0) {
      throw new UsageException("--max-tokens must be >= 0, got " + max);
    }
    Integer eos = a.flag("--stop-at-eos") ? eosId(modelDir) : null;
    try (Loaded loaded = Loaded.of(modelDir, a.optionalDir("--adapter"), device(a))) {
      int[] prompt = tokens(a, modelDir);
      int vocab = loaded.model.dims().vocabSize();
      List<Integer> generated = new ArrayList<>();
      try (KvCache cache = new KvCache(loaded.model)) {
        int[] input = prompt;
        while (generated.size() < max) {
          int next;
          try (NDManager step = loaded.model.manager().newSubManager()) {
            float[] last =
                loaded
                    .model
                    .forwardLast(
                        step,
                        input,
                        List.of(new Segment(input.length, cache)),
                        loaded.hook(step, input.length))
                    .toFloatArray();
            next = argMax(last, vocab);
          }
          generated.add(next);
          if (eos != null && next == eos) {
            break;
          }
          input = new int[] {next};
        }
      }
      StringBuilder json = new StringBuilder("{\"token_ids\": [");
      for (int i = 0; i < generated.size(); i++) {
        json.append(i == 0 ? "" : ", ").append(generated.get(i));
      }
      json.append(']');
      if (a.has("--text")) {
        try (HuggingFaceTokenizer tokenizer = tokenizer(modelDir)) {
          json.append(", \"text\": ")
              .append(
                  new Gson()
                      .toJson(
                          tokenizer.decode(
                              generated.stream().mapToLong(Integer::longValue).toArray(), false)));
        }
      }
      return json.append('}').toString();
    }
  }

  private static Device device(CliArgs a) {
    return a.has("--device") ? Devices.parse(a.value("--device")) : Devices.fromSystemProperty();
  }

  private static int[] tokens(CliArgs a, Path modelDir) {
    if (a.has("--tokens") == a.has("--text")) {
      throw new UsageException("give exactly one of --tokens and --text");
    }
    int[] tokens;
    if (a.has("--tokens")) {
      String[] parts = a.value("--tokens").split(",", -1);
      tokens = new int[parts.length];
      for (int i = 0; i < parts.length; i++) {
        try {
          tokens[i] = Integer.parseInt(parts[i].trim());
        } catch (NumberFormatException e) {
          throw new UsageException(
              "--tokens must be comma-separated integers, got '" + parts[i] + "'");
        }
      }
    } else {
      try (HuggingFaceTokenizer tokenizer = tokenizer(modelDir)) {
        tokens =
            Arrays.stream(tokenizer.encode(a.value("--text")).getIds())
                .mapToInt(Math::toIntExact)
                .toArray();
      }
    }
    if (tokens.length == 0) {
      throw new IllegalArgumentException("the input has no tokens");
    }
    return tokens;
  }

  private static HuggingFaceTokenizer tokenizer(Path modelDir) {
    Path file = modelDir.resolve("tokenizer.json");
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          file + ": missing: --text needs the model's tokenizer.json");
    }
    try {
      // DJL truncates to 512 tokens unless told otherwise, with only a WARN line to show for it
      return HuggingFaceTokenizer.builder()
          .optTokenizerPath(file)
          .optAddSpecialTokens(false)
          .optTruncation(false)
          .build();
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          file + ": cannot be loaded as a Hugging Face tokenizer: " + e.getMessage());
    }
  }

  // config.json's eos_token_id (a number or a list of numbers: the first)
  private static int eosId(Path modelDir) {
    Path path = modelDir.resolve(ModelDirectory.CONFIG_FILE);
    try {
      JsonObject o =
          JsonParser.parseString(Files.readString(path, StandardCharsets.UTF_8)).getAsJsonObject();
      JsonElement e = o.get("eos_token_id");
      if (e != null && e.isJsonArray() && !e.getAsJsonArray().isEmpty()) {
        e = e.getAsJsonArray().get(0);
      }
      if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
        throw new IllegalArgumentException(
            path + ": --stop-at-eos needs an eos_token_id, and there is none");
      }
      return e.getAsInt();
    } catch (IOException | RuntimeException e) {
      if (e instanceof IllegalArgumentException iae) {
        throw iae;
      }
      throw new IllegalArgumentException(path + ": cannot read eos_token_id: " + e.getMessage());
    }
  }

  static double[][] rows(float[] flat, int width) {
    double[][] out = new double[flat.length / width][width];
    for (int r = 0; r < out.length; r++) {
      for (int i = 0; i < width; i++) {
        out[r][i] = flat[r * width + i];
      }
    }
    return out;
  }

  static double logSoftmaxAt(double[] logits, int token) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : logits) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (double v : logits) {
      sum += Math.exp(v - max);
    }
    return logits[token] - max - Math.log(sum);
  }

  static int argMax(float[] v, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }

  /** The model and, when given, its one adapter in a pool. */
  private record Loaded(BaseModel model, AdapterPool pool) implements AutoCloseable {

    static Loaded of(Path modelDir, Path adapterDir, Device device) {
      ModelConfig config = ModelDirectory.config(modelDir);
      // read and validate the adapter before the (larger) model, so a bad adapter fails fast
      AdapterWeights adapter =
          adapterDir == null ? null : AdapterCheckpoint.read(adapterDir, config).weights();
      BaseModel model = ModelDirectory.load(modelDir, device);
      try {
        return new Loaded(model, adapter == null ? null : AdapterPool.of(model, List.of(adapter)));
      } catch (RuntimeException e) {
        model.close();
        throw e;
      }
    }

    AdapterHook hook(NDManager step, int rows) {
      return pool == null
          ? AdapterHook.NONE
          : pool.bind(step, new int[rows], GroupedLora.Strategy.AUTO);
    }

    @Override
    public void close() {
      if (pool != null) {
        pool.close();
      }
      model.close();
    }
  }
}
