package io.adapterplatform.training;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.client.BaseModelsApi;
import io.adapterplatform.api.registry.invoker.ApiException;
import io.adapterplatform.api.registry.model.Role;
import io.adapterplatform.engine.format.DType;
import io.adapterplatform.engine.testing.TinyModels;
import io.adapterplatform.training.storage.DatasetObjects;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

class DatasetApiTest extends TrainingTestBase {

  @Autowired DatasetObjects objects;
  @Autowired JdbcClient jdbc;

  @Test
  void storesAVersionedDatasetByDigestAndCountsItsRecords() throws Exception {
    String name = "chats-" + unique();
    String jsonl =
        """
        {"prompt": "Hello", "completion": " world"}

        {"text": "plain text record"}\r
        {"prompt": "é", "completion": "ü"}""";
    String trainer = tokenWith(Role.TRAINER);

    var first = uploadDataset(trainer, name, jsonl);
    var second = uploadDataset(trainer, name, jsonl + "\n{\"text\": \"more\"}\n");

    assertThat(first.status()).as(first.body()).isEqualTo(201);
    assertThat(first.raw().headers().firstValue("Location"))
        .hasValue("/api/v1/datasets/" + name + "/versions/1");
    var body = first.json();
    assertThat(body.get("name").asString()).isEqualTo(name);
    assertThat(body.get("version").asInt()).isEqualTo(1);
    assertThat(body.get("records").asLong()).isEqualTo(3);
    assertThat(body.get("sha256").asString()).isEqualTo(sha256(jsonl));
    assertThat(objects.exists(DatasetObjects.keyOf(sha256(jsonl)))).isTrue();
    assertThat(second.json().get("version").asInt()).isEqualTo(2);
    assertThat(second.json().get("records").asLong()).isEqualTo(4);
    var read = get("/api/v1/datasets/" + name + "/versions/2", tokenWith(Role.READER));
    assertThat(read.status()).isEqualTo(200);
    assertThat(read.json().get("sha256").asString())
        .isEqualTo(second.json().get("sha256").asString());
  }

  @Test
  void rejectsBadLinesListingTheirNumbersAndStoresNothing() throws Exception {
    String name = "bad-" + unique();
    String jsonl =
        """
        {"prompt": "ok", "completion": "ok"}
        {"prompt": "no completion"}
        not json
        {"text": 42}
        {"text": "x", "extra": "y"}
        [1, 2]
        {"text": "fine"}
        """;

    var r = uploadDataset(ADMIN, name, jsonl);

    var p = problem(r, 422);
    assertThat(p.get("type").asString()).endsWith("/invalid-dataset");
    assertThat(p.get("errors").valueStream().map(e -> e.get("message").asString()).toList())
        .hasSize(5)
        .allSatisfy(m -> assertThat(m).startsWith("line "))
        .extracting(m -> m.split(" ")[1])
        .containsExactly("2", "3", "4", "5", "6");
    assertThat(rows(name)).isZero();
    assertThat(objects.exists(DatasetObjects.keyOf(sha256(jsonl)))).isFalse();
  }

  @Test
  void rejectsInvalidUtf8() throws Exception {
    byte[] file = {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xC3, '"', '}', '\n'};

    var r = uploadDataset(ADMIN, "utf-" + unique(), file);

    assertThat(problem(r, 422).get("errors").get(0).get("message").asString())
        .isEqualTo("line 1 is not UTF-8");
  }

  @Test
  void refusesALineOrAFileOverItsLimitWith413() throws Exception {
    String longLine = "{\"text\": \"" + "a".repeat(2000) + "\"}\n";
    String manyLines = ("{\"text\": \"" + "b".repeat(500) + "\"}\n").repeat(200);
    String name = "big-" + unique();

    var line = uploadDataset(ADMIN, name, longLine);
    var file = uploadDataset(ADMIN, name, manyLines);

    assertThat(problem(line, 413).get("detail").asString()).contains("line 1");
    problem(file, 413);
    assertThat(rows(name)).isZero();
  }

  @Test
  void needsANameAndAFile() throws Exception {
    assertThat(problem(uploadDataset(ADMIN, null, "{\"text\":\"a\"}"), 400).toString())
        .contains("\"field\":\"name\"");
    assertThat(problem(uploadDataset(ADMIN, "no-file-" + unique(), (byte[]) null), 400).toString())
        .contains("\"field\":\"file\"");
    assertThat(problem(uploadDataset(ADMIN, "Bad Name", "{\"text\":\"a\"}"), 400).toString())
        .contains("\"field\":\"name\"");
  }

  @Test
  void pagesThroughTheDatasetsACallerSees() throws Exception {
    String team = "team" + unique().replace("-", "") + "-";
    for (String n : List.of("a", "b", "c")) {
      dataset(team + n);
    }
    dataset("elsewhere-" + unique());
    String scoped = tokenWith(List.of(team), Role.READER);

    var first = get("/api/v1/datasets?limit=2", scoped);
    String cursor = first.json().get("nextCursor").asString();
    var second = get("/api/v1/datasets?limit=2&cursor=" + cursor, scoped);

    assertThat(first.json().get("items").valueStream().map(i -> i.get("name").asString()))
        .containsExactly(team + "a", team + "b");
    assertThat(second.json().get("items").valueStream().map(i -> i.get("name").asString()))
        .containsExactly(team + "c");
    assertThat(second.json().get("nextCursor").isNull()).isTrue();
    problem(get("/api/v1/datasets?cursor=not-a-cursor", scoped), 400);
  }

  @Test
  void trainersWriteReadersReadAndScopesHideOtherNames() throws Exception {
    String team = "scoped" + unique().replace("-", "") + "-";
    String other = dataset("hidden-" + unique());
    String reader = tokenWith(Role.READER);
    String scopedTrainer = tokenWith(List.of(team), Role.TRAINER);

    problem(uploadDataset(null, team + "x", "{\"text\":\"a\"}"), 401);
    problem(uploadDataset(reader, team + "x", "{\"text\":\"a\"}"), 403);
    problem(uploadDataset(scopedTrainer, "outside-" + unique(), "{\"text\":\"a\"}"), 403);
    assertThat(uploadDataset(scopedTrainer, team + "x", "{\"text\":\"a\"}").status())
        .isEqualTo(201);
    String[] nameVersion = other.split("@");
    problem(
        get("/api/v1/datasets/" + nameVersion[0] + "/versions/" + nameVersion[1], scopedTrainer),
        404);
    assertThat(
            get("/api/v1/datasets/" + nameVersion[0] + "/versions/" + nameVersion[1], reader)
                .status())
        .isEqualTo(200);
  }

  @Test
  void countsTheTokensItTrainsOnWithTheTokenizerOfTheBaseModelItNames() throws Exception {
    ensureTokenizerBase();
    String name = "counted-" + unique();
    // The tiny byte-level BPE: a byte a token, but for its merges "he" and "Ġthe"; EOS ends each.
    String jsonl =
        """
        {"prompt": "abc", "completion": "defgh"}

        {"text": "hello the cat"}
        """;
    String trainer = tokenWith(Role.TRAINER);

    var counted = uploadDataset(trainer, name, TOKENIZER_BASE, bytes(jsonl));
    var uncounted = uploadDataset(trainer, name, bytes(jsonl));

    assertThat(counted.status()).as(counted.body()).isEqualTo(201);
    // abc + defgh + EOS = 9; he,l,l,o + Ġthe + Ġ,c,a,t + EOS = 10
    assertThat(counted.json().get("tokens").asLong()).isEqualTo(19);
    assertThat(counted.json().get("baseModel").asString()).isEqualTo(TOKENIZER_BASE);
    var read = get("/api/v1/datasets/" + name + "/versions/1", tokenWith(Role.READER)).json();
    assertThat(read.get("tokens").asLong()).isEqualTo(19);
    assertThat(read.get("baseModel").asString()).isEqualTo(TOKENIZER_BASE);
    assertThat(uncounted.status()).as(uncounted.body()).isEqualTo(201);
    assertThat(uncounted.json().has("tokens")).isFalse();
    assertThat(uncounted.json().has("baseModel")).isFalse();
  }

  @Test
  void aBaseModelThatDoesNotExistOrHasNoUsableTokenizerIsRejectedAndNothingIsStored()
      throws Exception {
    ensureBaseModels();
    String name = "uncountable-" + unique();
    String jsonl = "{\"text\": \"tokens " + name + "\"}\n";

    var unknown = uploadDataset(ADMIN, name, "no-such-base-" + unique(), bytes(jsonl));
    // BASE's tokenizer.json is a stub that no Hugging Face tokenizer loads.
    var stub = uploadDataset(ADMIN, name, BASE, bytes(jsonl));

    for (var r : List.of(unknown, stub)) {
      var p = problem(r, 422);
      assertThat(p.get("type").asString()).endsWith("/invalid-reference");
      assertThat(p.get("errors").get(0).get("field").asString()).isEqualTo("baseModel");
    }
    assertThat(stub.json().get("detail").asString()).contains("tokenizer");
    assertThat(rows(name)).isZero();
    assertThat(objects.exists(DatasetObjects.keyOf(sha256(jsonl)))).isFalse();
  }

  private static final String TOKENIZER_BASE = "dataset-tokenizer-base";

  /** A base model with the engine tests' real byte-level BPE tokenizer, uploaded once. */
  private synchronized void ensureTokenizerBase() throws Exception {
    var api = new BaseModelsApi(registry(ADMIN));
    try {
      api.getBaseModel(TOKENIZER_BASE);
    } catch (ApiException e) {
      assertThat(e.getCode()).isEqualTo(404);
      Path dir = Files.createTempDirectory("tokenizer-base-");
      TinyModels.writeModel(dir, TinyModels.tokenizerDims(), 3, DType.F32, 1);
      TinyModels.writeTokenizer(dir);
      api.uploadBaseModel(
          TOKENIZER_BASE,
          List.of(
              dir.resolve("config.json").toFile(),
              dir.resolve("model.safetensors").toFile(),
              dir.resolve("tokenizer.json").toFile()));
    }
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private long rows(String name) {
    return jdbc.sql("select count(*) from training.dataset where name = ?")
        .param(name)
        .query(Long.class)
        .single();
  }

  static String sha256(String text) throws Exception {
    return HexFormat.of()
        .formatHex(
            MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }
}
