package io.adapterplatform.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.format.DType;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.model.ModelDims;
import io.adapterplatform.engine.reference.RefAdapter;
import io.adapterplatform.engine.reference.RefAdapters;
import io.adapterplatform.engine.reference.RefModel;
import io.adapterplatform.engine.testing.TinyModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EngineCliTest {

  static final ModelDims DIMS = TinyModels.tokenizerDims();

  @TempDir static Path root;

  static Path model;
  static Path lora;
  static Path mixlora;
  static RefModel ref;
  static AdapterWeights loraWeights;
  static AdapterWeights mixWeights;

  @BeforeAll
  static void writeModelAndAdapters() {
    model = root.resolve("model");
    Map<String, float[]> w = TinyModels.writeModel(model, DIMS, 51, DType.BF16, 2);
    TinyModels.writeTokenizer(model);
    ref = new RefModel(DIMS, w);
    lora = root.resolve("lora");
    loraWeights =
        TinyModels.writeAdapter(
            lora,
            TinyModels.randomLora(
                DIMS, 4, 8, false, EnumSet.of(Projection.Q, Projection.V, Projection.DOWN), 52),
            8,
            false,
            DType.F32);
    mixlora = root.resolve("mixlora");
    mixWeights =
        TinyModels.writeAdapter(
            mixlora,
            TinyModels.randomMixLora(DIMS, 4, 8, 4, 2, EnumSet.of(Projection.Q), null, 53),
            8,
            false,
            DType.BF16);
  }

  record Result(int code, String out, String err) {
    JsonObject json() {
      assertThat(out.lines().count()).as("stdout lines of %s", out).isEqualTo(1);
      return JsonParser.parseString(out).getAsJsonObject();
    }
  }

  static Result run(String... args) {
    var out = new ByteArrayOutputStream();
    var err = new ByteArrayOutputStream();
    int code =
        EngineCli.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void scoreGivesEachTokensLogProbabilityUnderTheAdapter() {
    int[] tokens = {5, 200, 17, 99, 3};

    Result plain = run("score", "--model", model.toString(), "--tokens", "5,200,17,99,3");
    Result adapted =
        run(
            "score",
            "--model",
            model.toString(),
            "--adapter",
            lora.toString(),
            "--tokens",
            "5, 200,17,99,3");

    assertThat(plain.code()).isZero();
    assertLogProbs(plain.json().getAsJsonArray("token_logprobs"), tokens, RefAdapter.NONE);
    assertLogProbs(
        adapted.json().getAsJsonArray("token_logprobs"), tokens, RefAdapters.of(loraWeights));
  }

  private static void assertLogProbs(JsonArray lp, int[] tokens, RefAdapter adapter) {
    double[][] logits = ref.logits(tokens, adapter);
    assertThat(lp.size()).isEqualTo(tokens.length);
    assertThat(lp.get(0).isJsonNull()).isTrue();
    for (int i = 1; i < tokens.length; i++) {
      assertThat(lp.get(i).getAsDouble())
          .isCloseTo(RefModel.logSoftmax(logits[i - 1])[tokens[i]], within(1e-4));
    }
  }

  @Test
  void generateReturnsTheGreedyContinuationOfNewTokensOnly() {
    Result r =
        run(
            "generate",
            "--model",
            model.toString(),
            "--adapter",
            mixlora.toString(),
            "--tokens",
            "7,8,9",
            "--max-tokens",
            "5",
            "--device",
            "cpu");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(ids(r.json()))
        .containsExactly(ref.greedy(new int[] {7, 8, 9}, 5, RefAdapters.of(mixWeights)));
  }

  @Test
  void stopAtEosEndsWithTheEosTokenAndOtherwiseGenerationRunsOn() throws IOException {
    int[] expected = ref.greedy(new int[] {1, 2}, 4, RefAdapter.NONE);
    // a copy of the model whose eos is the first greedy token not generated before it (past the
    // first)
    int stop = 0;
    for (int j = expected.length - 1; j >= 1; j--) {
      int token = expected[j];
      if (java.util.Arrays.stream(expected, 0, j).noneMatch(t -> t == token)) {
        stop = j;
      }
    }
    int eosAt = stop;
    Path copy = Files.createDirectories(root.resolve("eos-model"));
    try (var files = Files.list(model)) {
      for (Path f : files.toList()) {
        Files.copy(f, copy.resolve(f.getFileName()));
      }
    }
    TinyModels.writeConfig(copy, DIMS, expected[eosAt]);

    Result stopped =
        run(
            "generate",
            "--model",
            copy.toString(),
            "--tokens",
            "1,2",
            "--max-tokens",
            "4",
            "--stop-at-eos");
    Result full =
        run("generate", "--model", copy.toString(), "--tokens", "1,2", "--max-tokens", "4");

    assertThat(ids(stopped.json())).containsExactly(java.util.Arrays.copyOf(expected, eosAt + 1));
    assertThat(ids(full.json())).containsExactly(expected);
  }

  @Test
  void textIsEncodedWithTheModelsByteLevelTokenizer() {
    // "the the" → t, he, Ġthe under the tiny tokenizer's merges
    Result byText = run("score", "--model", model.toString(), "--text", "the the");
    Result byIds = run("score", "--model", model.toString(), "--tokens", "116,257,258");
    Result gen =
        run("generate", "--model", model.toString(), "--text", "the the", "--max-tokens", "3");

    assertThat(byText.out()).isEqualTo(byIds.out());
    assertThat(ids(gen.json()))
        .containsExactly(ref.greedy(new int[] {116, 257, 258}, 3, RefAdapter.NONE));
    assertThat(gen.json().get("text").getAsString()).isNotNull();
  }

  @Test
  void longTextIsNotCutAt512Tokens() {
    // DJL's tokenizer truncates to 512 tokens by default, silently but for a WARN line
    String text = "the" + " the".repeat(599);
    Result byText = run("score", "--model", model.toString(), "--text", text);

    assertThat(byText.json().getAsJsonArray("token_logprobs")).hasSizeGreaterThan(600);
  }

  @Test
  void inspectDescribesModelsAndAdapters() {
    JsonObject m = run("inspect", model.toString()).json();
    JsonObject a = run("inspect", mixlora.toString()).json();
    JsonObject l = run("inspect", lora.toString()).json();

    assertThat(m.get("kind").getAsString()).isEqualTo("model");
    assertThat(m.get("num_hidden_layers").getAsInt()).isEqualTo(DIMS.numLayers());
    assertThat(m.getAsJsonArray("files")).hasSize(2);
    assertThat(m.getAsJsonObject("parameters_by_dtype").keySet()).containsExactly("BF16");
    assertThat(m.get("tokenizer").getAsBoolean()).isTrue();
    assertThat(a.get("kind").getAsString()).isEqualTo("mixlora");
    assertThat(a.get("num_experts").getAsInt()).isEqualTo(4);
    assertThat(a.get("top_k").getAsInt()).isEqualTo(2);
    assertThat(l.get("kind").getAsString()).isEqualTo("lora");
    assertThat(l.get("scaling").getAsDouble()).isEqualTo(2.0);
    assertThat(l.get("tensors").getAsInt()).isEqualTo(DIMS.numLayers() * 3 * 2);
  }

  @Test
  void tinyWritesAModelAndOneAdapterOfEachKindThatTheOtherCommandsAccept() {
    Path out = root.resolve("tiny");

    JsonObject written = run("tiny", "--out", out.toString(), "--seed", "7").json();

    assertThat(written.keySet())
        .containsExactlyInAnyOrder("model", "lora", "dora", "expert_a", "expert_b", "mixlora");
    String tinyModel = written.get("model").getAsString();
    assertThat(run("inspect", tinyModel).json().toString()).contains("hidden");
    JsonArray plain =
        run("score", "--model", tinyModel, "--text", "hello")
            .json()
            .getAsJsonArray("token_logprobs");
    for (String kind : List.of("lora", "dora", "expert_a", "mixlora")) {
      Result scored =
          run(
              "score",
              "--model",
              tinyModel,
              "--adapter",
              written.get(kind).getAsString(),
              "--text",
              "hello");
      assertThat(scored.code()).as("%s: %s", kind, scored.err()).isZero();
      JsonArray lp = scored.json().getAsJsonArray("token_logprobs");
      assertThat(lp.size()).isEqualTo(plain.size());
      assertThat(lp.get(1).getAsDouble())
          .as("%s changes the scores", kind)
          .isNotEqualTo(plain.get(1).getAsDouble());
    }
    assertThat(run("tiny", "--out", root.resolve("tiny2").toString(), "--seed", "7").out())
        .as("the same seed writes the same files")
        .isNotEmpty();
    assertThat(
            contentOf(
                Path.of(written.get("lora").getAsString()).resolve("adapter_model.safetensors")))
        .isEqualTo(contentOf(root.resolve("tiny2/lora/adapter_model.safetensors")));
  }

  private static byte[] contentOf(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void badInputExitsNonZeroWithOneClearLineAndNoStackTrace() throws IOException {
    Path otherModel = root.resolve("other");
    TinyModels.writeModel(
        otherModel, new ModelDims(48, 48, 2, 4, 2, 12, 1e-5, 10000.0, true, 260), 1, DType.F32, 1);
    Path foreignAdapter = root.resolve("foreign");
    TinyModels.writeAdapter(
        foreignAdapter,
        TinyModels.randomLora(
            new ModelDims(48, 48, 2, 4, 2, 12, 1e-5, 10000.0, true, 260),
            2,
            2,
            false,
            EnumSet.of(Projection.Q),
            1),
        2,
        false,
        DType.F32);
    Path poisoned = root.resolve("poisoned");
    Files.createDirectories(poisoned);
    Files.copy(lora.resolve("adapter_config.json"), poisoned.resolve("adapter_config.json"));
    byte[] weights = Files.readAllBytes(lora.resolve("adapter_model.safetensors"));
    long headerLength =
        8
            + java.nio.ByteBuffer.wrap(weights, 0, 8)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .getLong();
    java.nio.ByteBuffer.wrap(weights)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN)
        .putFloat((int) headerLength, Float.NaN);
    Files.write(poisoned.resolve("adapter_model.safetensors"), weights);
    List<Object[]> cases = new ArrayList<>();
    cases.add(
        new Object[] {
          run(
              "score",
              "--model",
              model.toString(),
              "--adapter",
              poisoned.toString(),
              "--tokens",
              "1,2"),
          1,
          "non-finite"
        });
    cases.add(new Object[] {run(), 2, "no command"});
    cases.add(new Object[] {run("score", "--tokens", "1,2"), 2, "--model"});
    cases.add(
        new Object[] {run("score", "--model", model.toString(), "--tokens", "1,x"), 2, "'x'"});
    cases.add(new Object[] {run("score", "--model", model.toString()), 2, "--tokens"});
    cases.add(
        new Object[] {
          run("generate", "--model", model.toString(), "--tokens", "1"), 2, "--max-tokens"
        });
    cases.add(
        new Object[] {
          run("score", "--model", model.toString(), "--tokens", "1,9999"),
          1,
          "outside the vocabulary"
        });
    cases.add(
        new Object[] {
          run("score", "--model", root.resolve("nope").toString(), "--tokens", "1"),
          1,
          "not a directory"
        });
    cases.add(
        new Object[] {run("score", "--model", lora.toString(), "--tokens", "1"), 1, "config.json"});
    cases.add(
        new Object[] {
          run(
              "score",
              "--model",
              model.toString(),
              "--adapter",
              foreignAdapter.toString(),
              "--tokens",
              "1"),
          1,
          "adapter_model.safetensors"
        });
    cases.add(
        new Object[] {
          run("score", "--model", model.toString(), "--tokens", "1", "--device", "tpu"),
          1,
          "unknown device"
        });
    cases.add(
        new Object[] {
          run("score", "--model", model.toString(), "--tokens", "1", "--device", "gpu:0"), 1, "GPU"
        });
    cases.add(new Object[] {run("inspect", root.toString()), 1, "neither a model"});
    cases.add(new Object[] {run("frobnicate"), 2, "unknown command"});

    for (Object[] c : cases) {
      Result r = (Result) c[0];
      assertThat(r.code()).as("exit code, stderr: %s", r.err()).isEqualTo(c[1]);
      assertThat(r.out()).isEmpty();
      assertThat(r.err().lines().toList()).as("stderr").hasSize(1);
      assertThat(r.err()).startsWith("engine: ").contains((String) c[2]).doesNotContain("\tat ");
    }
    assertThat(run("score", "--model", model.toString(), "--tokens", "1,9999", "--debug").err())
        .contains("\tat ");
  }

  @Test
  void asAProcessStdoutHoldsOnlyTheJsonLineAndErrorsOneStderrLine() throws Exception {
    ProcessResult ok = exec("score", "--model", model.toString(), "--tokens", "1,2,3");
    ProcessResult bad = exec("score", "--model", model.toString(), "--tokens", "1,99999");

    assertThat(ok.code()).as(ok.err()).isZero();
    assertThat(ok.out().lines().toList())
        .hasSize(1)
        .allMatch(l -> l.startsWith("{\"token_logprobs\": [null, "));
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.out()).isEmpty();
    assertThat(bad.err().lines().toList()).hasSize(1);
  }

  record ProcessResult(int code, String out, String err) {}

  private static int[] ids(JsonObject json) {
    JsonArray a = json.getAsJsonArray("token_ids");
    int[] ids = new int[a.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = a.get(i).getAsInt();
    }
    return ids;
  }

  private static ProcessResult exec(String... args) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=1",
                "-cp",
                System.getProperty("java.class.path"),
                EngineCli.class.getName()));
    cmd.addAll(List.of(args));
    Path out = root.resolve("stdout.txt");
    Path err = root.resolve("stderr.txt");
    Process p =
        new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    int code = p.waitFor();
    return new ProcessResult(code, Files.readString(out), Files.readString(err));
  }
}
