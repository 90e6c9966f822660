package io.adapterplatform.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code bin/platform engine} script, one process per command, as a user runs it: in a JVM
 * without {@code jdk.incubator.vector} (the script leaves it out for the CLI), which the in-process
 * tests cannot see. Every adapter kind that {@code engine tiny} writes is scored, generated from
 * and inspected; every documented error ends with its exit code and one line on stderr, without a
 * stack trace.
 *
 * <p>The script runs on the classes this build just produced ({@code PLATFORM_ENGINE_CLASSPATH}):
 * left to itself it would rebuild the engine in the middle of {@code mvnw verify}.
 */
class PlatformEngineScriptTest {

  private static final Path MODULE = Path.of("").toAbsolutePath();
  private static final Path SCRIPT = MODULE.getParent().resolve("bin/platform");
  private static final List<String> KINDS =
      List.of("lora", "dora", "expert-a", "expert-b", "mixlora");

  @TempDir static Path root;

  static Path demo;
  static String model;
  static JsonArray plainScores;

  record Result(List<String> args, int code, String out, String err) {

    JsonObject json() {
      assertThat(code).as("exit code of %s, stderr: %s", args, err).isZero();
      assertThat(err).as("stderr of %s", args).isEmpty();
      assertThat(out.lines().toList()).as("stdout of %s", args).hasSize(1);
      return JsonParser.parseString(out).getAsJsonObject();
    }

    void failsWith(int expectedCode, String message) {
      assertThat(code).as("exit code of %s, stderr: %s", args, err).isEqualTo(expectedCode);
      assertThat(out).as("stdout of %s", args).isEmpty();
      assertThat(err.lines().toList()).as("stderr of %s", args).hasSize(1);
      assertThat(err)
          .as("stderr of %s", args)
          .startsWith("engine: ")
          .contains(message)
          .doesNotContain("\tat ")
          .doesNotContain("Exception in thread");
      if (expectedCode == 2) {
        assertThat(err).contains("(usage: engine score|generate");
      }
    }
  }

  @BeforeAll
  static void writeTheTinyModelAndItsAdapters() {
    demo = root.resolve("demo");

    JsonObject written = engine("tiny", "--out", demo.toString()).json();

    assertThat(written.keySet())
        .containsExactlyInAnyOrder("model", "lora", "dora", "expert_a", "expert_b", "mixlora");
    for (String kind : KINDS) {
      assertThat(written.get(kind.replace('-', '_')).getAsString())
          .isEqualTo(demo.resolve(kind).toString());
      assertThat(demo.resolve(kind).resolve("adapter_model.safetensors")).isRegularFile();
    }
    model = written.get("model").getAsString();
    plainScores =
        engine("score", "--model", model, "--text", "hello")
            .json()
            .getAsJsonArray("token_logprobs");
    assertThat(plainScores.size()).isGreaterThan(1);
  }

  @Test
  void scoresWithEveryAdapterKind() {
    for (String kind : KINDS) {
      JsonArray scores =
          engine(
                  "score",
                  "--model",
                  model,
                  "--adapter",
                  demo.resolve(kind).toString(),
                  "--text",
                  "hello")
              .json()
              .getAsJsonArray("token_logprobs");

      assertThat(scores.size()).as(kind).isEqualTo(plainScores.size());
      assertThat(scores.get(0).isJsonNull()).isTrue();
      for (int i = 1; i < scores.size(); i++) {
        double lp = scores.get(i).getAsDouble();
        assertThat(lp).as("%s token %d", kind, i).isFinite().isLessThanOrEqualTo(0.0);
      }
      assertThat(scores.get(1).getAsDouble())
          .as("%s changes the scores", kind)
          .isNotEqualTo(plainScores.get(1).getAsDouble());
    }
  }

  @Test
  void generatesWithEveryAdapterKind() {
    for (String kind : KINDS) {
      JsonObject generated =
          engine(
                  "generate",
                  "--model",
                  model,
                  "--adapter",
                  demo.resolve(kind).toString(),
                  "--tokens",
                  "5,17,42",
                  "--max-tokens",
                  "4")
              .json();

      assertThat(generated.keySet()).as(kind).containsExactly("token_ids");
      assertThat(generated.getAsJsonArray("token_ids").asList())
          .as(kind)
          .hasSize(4)
          .allSatisfy(id -> assertThat(id.getAsInt()).isBetween(0, 259));
    }
    JsonObject withText =
        engine(
                "generate",
                "--model",
                model,
                "--adapter",
                demo.resolve("mixlora").toString(),
                "--text",
                "hello",
                "--max-tokens",
                "3",
                "--stop-at-eos")
            .json();
    assertThat(withText.getAsJsonArray("token_ids").size()).isBetween(1, 3);
    assertThat(withText.get("text").isJsonPrimitive()).isTrue();
  }

  @Test
  void inspectsTheModelAndEveryAdapterKind() {
    Map<String, String> kindOf =
        Map.of(
            "lora",
            "lora",
            "dora",
            "dora",
            "expert-a",
            "lora",
            "expert-b",
            "lora",
            "mixlora",
            "mixlora");
    for (String kind : KINDS) {
      JsonObject a = engine("inspect", demo.resolve(kind).toString()).json();

      assertThat(a.get("kind").getAsString()).as(kind).isEqualTo(kindOf.get(kind));
      assertThat(a.get("scaling").getAsDouble()).as(kind).isEqualTo(2.0);
      assertThat(a.get("tensors").getAsInt()).as(kind).isPositive();
    }
    JsonObject m = engine("inspect", model).json();
    assertThat(m.get("kind").getAsString()).isEqualTo("model");
    assertThat(m.get("vocab_size").getAsInt()).isEqualTo(260);
    assertThat(m.get("tokenizer").getAsBoolean()).isTrue();
  }

  @Test
  void everyMalformedCommandLineExits2WithOneLine() {
    engine().failsWith(2, "no command given");
    engine("frobnicate").failsWith(2, "unknown command 'frobnicate'");
    engine("inspect").failsWith(2, "inspect needs a directory");
    engine("score", "--model", model, "--tokens", "1", "--max-tokens", "3")
        .failsWith(2, "'score' does not take option --max-tokens");
    engine("score", "--model", model, "--model", model, "--tokens", "1")
        .failsWith(2, "option --model given twice");
    engine("score", "--model").failsWith(2, "option --model needs a value");
    engine("score", "--model", model, "--tokens", "1", "extra")
        .failsWith(2, "unexpected argument 'extra'");
    engine("score", "--tokens", "1").failsWith(2, "missing option --model");
    engine("score", "--model", model).failsWith(2, "give exactly one of --tokens and --text");
    engine("score", "--model", model, "--tokens", "1,x")
        .failsWith(2, "--tokens must be comma-separated integers, got 'x'");
    engine("generate", "--model", model, "--tokens", "1")
        .failsWith(2, "missing option --max-tokens");
    engine("generate", "--model", model, "--tokens", "1", "--max-tokens", "many")
        .failsWith(2, "--max-tokens must be an integer, got 'many'");
    engine("generate", "--model", model, "--tokens", "1", "--max-tokens", "-1")
        .failsWith(2, "--max-tokens must be >= 0, got -1");
    engine("tiny").failsWith(2, "missing option --out");
  }

  @Test
  void everyBadFileOrValueExits1WithOneLineNamingIt() throws IOException {
    Path lora = demo.resolve("lora");
    Path wrongRank =
        adapterVariant("wrong-rank", config -> config.replace("\"r\": 4", "\"r\": 8"), null);
    Path overflowing =
        adapterVariant(
            "overflowing",
            config -> config.replace("\"lora_alpha\": 8", "\"lora_alpha\": 1e308"),
            null);
    Path nonFinite =
        adapterVariant(
            "non-finite",
            config -> config,
            weights -> {
              long header =
                  8
                      + java.nio.ByteBuffer.wrap(weights, 0, 8)
                          .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                          .getLong();
              java.nio.ByteBuffer.wrap(weights)
                  .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                  .putFloat((int) header, Float.NaN);
              return weights;
            });
    Path pickle = Files.createDirectories(root.resolve("pickle"));
    Files.copy(lora.resolve("adapter_config.json"), pickle.resolve("adapter_config.json"));
    Files.write(pickle.resolve("adapter_model.bin"), new byte[] {(byte) 0x80, 2});
    Path noTokenizer = Files.createDirectories(root.resolve("no-tokenizer"));
    Path noEos = Files.createDirectories(root.resolve("no-eos"));
    for (Path dir : List.of(noTokenizer, noEos)) {
      Files.copy(Path.of(model, "model.safetensors"), dir.resolve("model.safetensors"));
    }
    Files.copy(Path.of(model, "config.json"), noTokenizer.resolve("config.json"));
    Files.writeString(
        noEos.resolve("config.json"),
        Files.readString(Path.of(model, "config.json")).replace(",\"eos_token_id\":259", ""));

    engine("score", "--model", root.resolve("nope").toString(), "--tokens", "1")
        .failsWith(1, "not a directory");
    engine("score", "--model", lora.toString(), "--tokens", "1").failsWith(1, "config.json");
    engine("score", "--model", model, "--adapter", wrongRank.toString(), "--tokens", "1")
        .failsWith(1, "adapter_model.safetensors");
    engine("score", "--model", model, "--adapter", overflowing.toString(), "--tokens", "1")
        .failsWith(1, "not a positive finite fp32 number");
    engine("score", "--model", model, "--adapter", nonFinite.toString(), "--tokens", "1")
        .failsWith(1, "non-finite");
    engine("score", "--model", model, "--adapter", pickle.toString(), "--tokens", "1")
        .failsWith(1, "adapter_model.bin");
    engine("score", "--model", model, "--tokens", "1,9999").failsWith(1, "outside the vocabulary");
    engine("score", "--model", model, "--text", "").failsWith(1, "the input has no tokens");
    engine("score", "--model", noTokenizer.toString(), "--text", "hi")
        .failsWith(1, "tokenizer.json: missing");
    engine(
            "generate",
            "--model",
            noEos.toString(),
            "--tokens",
            "1",
            "--max-tokens",
            "2",
            "--stop-at-eos")
        .failsWith(1, "--stop-at-eos needs an eos_token_id");
    engine("score", "--model", model, "--tokens", "1", "--device", "tpu")
        .failsWith(1, "unknown device");
    engine("score", "--model", model, "--tokens", "1", "--device", "gpu:0").failsWith(1, "GPU");
    engine("inspect", root.toString()).failsWith(1, "neither a model");
  }

  @Test
  void debugAddsTheStackTrace() {
    Result r = engine("score", "--model", model, "--tokens", "1,9999", "--debug");

    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("engine: ").contains("outside the vocabulary").contains("\tat ");
  }

  /** A copy of the tiny LoRA adapter with its config and weights changed. */
  private static Path adapterVariant(
      String name,
      java.util.function.UnaryOperator<String> config,
      java.util.function.UnaryOperator<byte[]> weights)
      throws IOException {
    Path lora = demo.resolve("lora");
    Path dir = Files.createDirectories(root.resolve(name));
    String original = Files.readString(lora.resolve("adapter_config.json"));
    String changed = config.apply(original);
    assertThat(!changed.equals(original))
        .as("%s changes the config", name)
        .isEqualTo(weights == null);
    Files.writeString(dir.resolve("adapter_config.json"), changed);
    byte[] bytes = Files.readAllBytes(lora.resolve("adapter_model.safetensors"));
    Files.write(
        dir.resolve("adapter_model.safetensors"), weights == null ? bytes : weights.apply(bytes));
    return dir;
  }

  /** Runs {@code bin/platform engine ARGS} and waits for it. */
  static Result engine(String... args) {
    List<String> command = new ArrayList<>(List.of(SCRIPT.toString(), "engine"));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(MODULE.getParent().toFile());
    Map<String, String> env = pb.environment();
    // the JDK running these tests; nothing of this JVM's options leaks into the child
    env.put("JAVA_HOME", System.getProperty("java.home"));
    env.put("PLATFORM_ENGINE_CLASSPATH", classpath());
    env.put("ENGINE_JAVA_OPTS", "-Dai.djl.pytorch.num_threads=1");
    env.remove("JDK_JAVA_OPTIONS");
    env.remove("JAVA_TOOL_OPTIONS");
    try {
      Path out = Files.createTempFile(root, "stdout", ".txt");
      Path err = Files.createTempFile(root, "stderr", ".txt");
      Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(180, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(
            "bin/platform engine " + String.join(" ", args) + " did not end in 180 s");
      }
      return new Result(
          List.of(args),
          p.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  // What bin/platform itself would run: this module's classes and its runtime classpath, both just
  // built.
  private static String classpath() {
    try {
      String dependencies =
          Files.readString(MODULE.resolve("target/runtime-classpath.txt")).strip();
      return MODULE.resolve("target/classes") + java.io.File.pathSeparator + dependencies;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static {
    assertThat(SCRIPT).as("bin/platform above the module directory").isExecutable();
  }
}
