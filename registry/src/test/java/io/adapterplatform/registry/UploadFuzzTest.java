package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.adapterplatform.engine.adapter.AdapterCheckpoint;
import io.adapterplatform.engine.adapter.AdapterWeights;
import io.adapterplatform.engine.format.ModelConfig;
import io.adapterplatform.engine.fused.AdapterPool;
import io.adapterplatform.engine.fused.GroupedLora;
import io.adapterplatform.engine.model.BaseModel;
import io.adapterplatform.engine.model.ModelDirectory;
import io.adapterplatform.engine.model.Segment;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing of the upload path: a few hundred publishes whose request headers, multipart
 * structure, configs and weights are mutated. Every answer is a 4xx problem+json or a 201; every
 * 201 is an adapter that the engine loads from the registry's own bytes and scores to finite values
 * (the registry validates with the same format code, so what it accepts the engine must run).
 */
class UploadFuzzTest extends RegistryTestBase {

  private static final long SEED = 20261203L;
  private static final int CASES = 300;
  private static final List<String> ATTENTION = List.of("q_proj", "v_proj");
  private static final List<String> ALL =
      List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

  private final HttpClient http = HttpClient.newHttpClient();

  record Part(String name, String filename, String contentType, byte[] body) {}

  @Test
  void everyMutatedUploadIsAProblemOrAnAdapterTheEngineScoresToFiniteValues() throws Exception {
    String adapter = newAdapter();
    Random random = new Random(SEED);
    TreeMap<Integer, Integer> statuses = new TreeMap<>();
    List<String> accepted = new ArrayList<>();

    try (Engine engine = new Engine()) {
      for (int i = 0; i < CASES; i++) {
        String description = "case " + i + " (seed " + SEED + ")";
        Upload upload = mutatedUpload(random);

        HttpResponse<String> r =
            http.send(upload.request(port, adapter), HttpResponse.BodyHandlers.ofString());

        statuses.merge(r.statusCode(), 1, Integer::sum);
        String what =
            description + " " + upload.mutations() + ": " + r.statusCode() + " " + r.body();
        if (r.statusCode() == 201) {
          int version = JSON.readTree(r.body()).get("version").asInt();
          accepted.add(upload.mutations().toString());
          engine.assertScoresFinite(
              download(adapter, version, "adapter_config.json"),
              download(adapter, version, "adapter_model.safetensors"),
              what);
        } else {
          assertThat(r.statusCode()).as(what).isBetween(400, 499);
          assertThat(r.headers().firstValue("Content-Type"))
              .as(what)
              .hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
          JsonNode problem = JSON.readTree(r.body());
          assertThat(problem.get("status").asInt()).as(what).isEqualTo(r.statusCode());
          assertThat(problem.get("type").asText())
              .as(what)
              .startsWith("https://adapterplatform.io/problems/");
        }
      }
    }

    // the mutations reach both sides: some uploads pass, most are refused for varied reasons
    assertThat(accepted).hasSizeGreaterThan(CASES / 20);
    assertThat(statuses.keySet()).contains(201, 400, 422);
  }

  private byte[] download(String adapter, int version, String file) throws Exception {
    var request =
        HttpRequest.newBuilder(
                URI.create(
                    "http://localhost:"
                        + port
                        + "/api/v1/adapters/"
                        + adapter
                        + "/versions/"
                        + version
                        + "/files/"
                        + file))
            .header("Authorization", "Bearer " + ADMIN)
            .build();
    HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }

  record Upload(String authorization, String contentType, byte[] body, List<String> mutations) {

    HttpRequest request(int port, String adapter) {
      var b =
          HttpRequest.newBuilder(
                  URI.create(
                      "http://localhost:" + port + "/api/v1/adapters/" + adapter + "/versions"))
              .POST(HttpRequest.BodyPublishers.ofByteArray(body));
      if (authorization != null) {
        b.header("Authorization", authorization);
      }
      if (contentType != null) {
        b.header("Content-Type", contentType);
      }
      return b.build();
    }
  }

  // One valid upload of a random kind and rank, then one to three mutations of its parts, bytes or
  // headers.
  private static Upload mutatedUpload(Random random) {
    int r = 1 << random.nextInt(4);
    int kind = random.nextInt(3);
    List<String> targets = random.nextBoolean() ? ATTENTION : ALL;
    String config;
    byte[] weights;
    long seed = random.nextLong();
    if (kind == 2) {
      config = Fixtures.mixloraConfig(r, 4, 2, ALL);
      weights = Fixtures.mixloraWeights(r, 4, ALL, -1, seed);
    } else {
      config = Fixtures.loraConfig(r, targets, kind == 1);
      weights = Fixtures.loraWeights(r, targets, kind == 1, seed);
    }
    List<String> mutations = new ArrayList<>();
    List<Part> parts = new ArrayList<>();
    String authorization = "Bearer " + ADMIN;
    String boundary = "fuzz" + Long.toHexString(random.nextLong() & Long.MAX_VALUE);
    String contentType = "multipart/form-data; boundary=" + boundary;
    boolean truncateBody = false;
    int count = random.nextInt(4); // 0: the valid upload itself
    for (int m = 0; m < count; m++) {
      switch (random.nextInt(12)) {
        case 0, 1, 2 -> {
          String field =
              pick(
                  random,
                  "r",
                  "lora_alpha",
                  "target_modules",
                  "use_rslora",
                  "use_dora",
                  "peft_type",
                  "num_experts",
                  "top_k",
                  "lora_dropout");
          String value =
              pick(
                  random,
                  "0",
                  "-1",
                  "1",
                  "4",
                  "65537",
                  "\"4\"",
                  "4.5",
                  "null",
                  "true",
                  "1e308",
                  "1e39",
                  "1e-50",
                  "-8",
                  "[]",
                  "[\"w_proj\"]",
                  "[\"q_proj\",\"q_proj\"]",
                  "\"IA3\"",
                  "\"MIXLORA\"",
                  "2000",
                  "0.999",
                  "{}");
          config = setField(config, field, value);
          mutations.add(field + "=" + value);
        }
        case 3 -> {
          String key =
              pick(
                  random, "peft_type", "r", "lora_alpha", "target_modules", "num_experts", "top_k");
          config = config.replaceAll("\"" + key + "\":\\s*(\\[[^\\]]*\\]|\"[^\"]*\"|[^,}]*),?", "");
          mutations.add("drop " + key);
        }
        case 4 -> {
          int cut = random.nextInt(config.length());
          config = config.substring(0, cut);
          mutations.add("config cut at " + cut);
        }
        case 5 -> {
          // in the length prefix or the JSON header: a flipped byte among the values would be a
          // valid weight, and
          // a finite weight of 1e38 may well overflow the forward pass (no validator can promise
          // otherwise)
          weights = weights.clone();
          int at =
              random.nextInt(
                  8 + (int) ByteBuffer.wrap(weights).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
          weights[at] = (byte) random.nextInt(256);
          mutations.add("weights byte " + at);
        }
        case 6 -> {
          int cut = random.nextInt(weights.length);
          weights = Arrays.copyOf(weights, cut);
          mutations.add("weights cut at " + cut);
        }
        case 7 -> {
          weights = weights.clone();
          long length = pick(random, 0L, 7L, (long) weights.length, Long.MAX_VALUE, -1L, 1L << 40);
          ByteBuffer.wrap(weights).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
          mutations.add("header length " + length);
        }
        case 8 -> {
          weights = weights.clone();
          float value = pick(random, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY);
          int data = weights.length - 4 * (1 + random.nextInt(8));
          ByteBuffer.wrap(weights).order(ByteOrder.LITTLE_ENDIAN).putFloat(data, value);
          mutations.add("weight " + value);
        }
        case 9 -> {
          int variant = random.nextInt(5);
          mutations.add("parts " + variant);
          parts.add(
              switch (variant) {
                case 0 ->
                    new Part(
                        "files",
                        "adapter_config.json",
                        "application/json",
                        config.getBytes(StandardCharsets.UTF_8));
                case 1 ->
                    new Part(
                        "files",
                        "README.md",
                        "text/markdown",
                        "# hello".getBytes(StandardCharsets.UTF_8));
                case 2 ->
                    new Part(
                        "files",
                        "adapter_model.bin",
                        "application/octet-stream",
                        new byte[] {(byte) 0x80, 2});
                case 3 ->
                    new Part(
                        "other",
                        "x.json",
                        "application/json",
                        "{}".getBytes(StandardCharsets.UTF_8));
                default ->
                    new Part(
                        "files",
                        "../adapter_config.json",
                        "application/json",
                        "{}".getBytes(StandardCharsets.UTF_8));
              });
        }
        case 10 -> {
          int variant = random.nextInt(5);
          mutations.add("headers " + variant);
          switch (variant) {
            case 0 -> authorization = null;
            case 1 -> authorization = "Bearer not-a-token";
            case 2 -> contentType = "multipart/form-data; boundary=other";
            case 3 -> contentType = "application/json";
            default -> contentType = null;
          }
        }
        default -> {
          truncateBody = true;
          mutations.add("body cut");
        }
      }
    }
    List<Part> all = new ArrayList<>();
    boolean dropConfig = random.nextInt(40) == 0;
    boolean dropWeights = random.nextInt(40) == 0;
    if (!dropConfig) {
      all.add(
          new Part(
              "files",
              "adapter_config.json",
              "application/json",
              config.getBytes(StandardCharsets.UTF_8)));
    } else {
      mutations.add("no config");
    }
    if (!dropWeights) {
      all.add(new Part("files", "adapter_model.safetensors", "application/octet-stream", weights));
    } else {
      mutations.add("no weights");
    }
    all.addAll(parts);
    if (random.nextBoolean()) {
      java.util.Collections.reverse(all);
    }
    byte[] body = multipart(boundary, all);
    if (truncateBody) {
      body = Arrays.copyOf(body, random.nextInt(body.length));
    }
    return new Upload(authorization, contentType, body, mutations);
  }

  private static String setField(String json, String field, String value) {
    String replaced =
        json.replaceFirst(
            "\"" + field + "\":\\s*(\\[[^\\]]*\\]|\"[^\"]*\"|[^,}\\s]*)",
            java.util.regex.Matcher.quoteReplacement("\"" + field + "\": " + value));
    return replaced.equals(json)
        ? json.replaceFirst("\\{", "{\"" + field + "\": " + value + ", ")
        : replaced;
  }

  @SafeVarargs
  private static <T> T pick(Random random, T... values) {
    return values[random.nextInt(values.length)];
  }

  private static byte[] multipart(String boundary, List<Part> parts) {
    var out = new ByteArrayOutputStream();
    for (Part p : parts) {
      out.writeBytes(
          ("--"
                  + boundary
                  + "\r\nContent-Disposition: form-data; name=\""
                  + p.name()
                  + "\"; filename=\""
                  + p.filename()
                  + "\"\r\nContent-Type: "
                  + p.contentType()
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.UTF_8));
      out.writeBytes(p.body());
      out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
    }
    out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  /**
   * The engine on the registry's tiny base model: loads an adapter as the registry serves it and
   * scores with it.
   */
  private static final class Engine implements AutoCloseable {

    private static final int[] TOKENS = {1, 5, 9, 30};

    private final Path modelDir = dir();
    private final ModelConfig config;
    private final BaseModel model;

    Engine() {
      Fixtures.write(modelDir, "config.json", Fixtures.modelConfig());
      Fixtures.write(modelDir, "model.safetensors", Fixtures.modelWeights(1));
      config = ModelDirectory.config(modelDir);
      model = ModelDirectory.load(modelDir, Device.cpu());
    }

    void assertScoresFinite(byte[] adapterConfig, byte[] adapterWeights, String what) {
      Path adapterDir = dir();
      Fixtures.write(adapterDir, AdapterCheckpoint.CONFIG_FILE, adapterConfig);
      Fixtures.write(adapterDir, AdapterCheckpoint.WEIGHTS_FILE, adapterWeights);
      AdapterWeights adapter = AdapterCheckpoint.read(adapterDir, config).weights();
      float[] logits;
      try (AdapterPool pool = AdapterPool.of(model, List.of(adapter));
          NDManager step = model.manager().newSubManager()) {
        logits =
            model
                .forward(
                    step,
                    TOKENS,
                    List.of(Segment.of(TOKENS.length)),
                    pool.bind(step, new int[TOKENS.length], GroupedLora.Strategy.AUTO))
                .toFloatArray();
      }
      assertThat(logits).as(what).hasSize(TOKENS.length * Fixtures.VOCAB);
      for (float v : logits) {
        assertThat(Float.isFinite(v)).as("%s: every logit finite", what).isTrue();
      }
    }

    @Override
    public void close() {
      model.close();
    }
  }
}
