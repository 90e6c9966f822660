package io.adapterplatform.training;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.model.Role;
import io.adapterplatform.training.storage.DatasetObjects;
import java.nio.charset.StandardCharsets;
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
