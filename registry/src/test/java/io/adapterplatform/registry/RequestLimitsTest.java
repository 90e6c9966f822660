package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.client.BaseModelsApi;
import io.adapterplatform.api.registry.model.Role;
import io.adapterplatform.embedded.PlatformBackends;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.datasource.DelegatingDataSource;

/**
 * What one request may make the registry hold: JSON bodies are capped before authentication and
 * before the role check reads them; uploads are bounded in parts, in bytes kept in memory and in
 * the files they may carry. Its own context (same backends): it counts the JDBC connections that
 * request threads borrow, and keeps uploads' in-memory budget small.
 */
@SpringBootTest(
    classes = RegistryApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.config.name=application,registry",
      "platform.auth.admin-token=" + RegistryTestBase.ADMIN,
      "platform.registry.max-buffered-bytes=256KB"
    })
@PlatformBackends
@Import(RequestLimitsTest.ConnectionCounter.class)
class RequestLimitsTest extends RegistryTestBase {

  private static final AtomicInteger BORROWED_BY_REQUESTS = new AtomicInteger();

  @TestConfiguration(proxyBeanMethods = false)
  static class ConnectionCounter {

    @Bean
    static BeanPostProcessor countConnectionsOfRequestThreads() {
      return new BeanPostProcessor() {
        @Override
        public Object postProcessAfterInitialization(Object bean, String name) {
          if (bean instanceof DataSource ds && !(bean instanceof DelegatingDataSource)) {
            return new DelegatingDataSource(ds) {
              @Override
              public Connection getConnection() throws SQLException {
                if (Thread.currentThread().getName().startsWith("http-")) {
                  BORROWED_BY_REQUESTS.incrementAndGet();
                }
                return super.getConnection();
              }
            };
          }
          return bean;
        }
      };
    }
  }

  @Test
  void aFiveMebibyteJsonBodyIs413BeforeAnyDatabaseWork() throws Exception {
    String publisher = tokenWith(Role.PUBLISHER);
    BORROWED_BY_REQUESTS.set(0);

    RawHttp.Answer answer;
    try (var http = new RawHttp(port, 0)) {
      // Declared, and only its first bytes sent: the answer must not wait for the rest.
      http.send(
          post("/api/v1/adapters", publisher, "Content-Length: " + 5 * 1024 * 1024),
          "{\"name\": \"x\", \"description\": \"".getBytes(StandardCharsets.UTF_8));
      answer = http.read();
    }

    assertThat(answer.status()).isEqualTo(413);
    assertThat(answer.headers().get("Content-Type")).startsWith("application/problem+json");
    assertThat(answer.body()).contains("/problems/too-large");
    assertThat(BORROWED_BY_REQUESTS.get()).as("JDBC connections borrowed while answering").isZero();
  }

  @Test
  void aChunkedJsonBodyOverTheCapIs413() throws Exception {
    String publisher = tokenWith(Role.PUBLISHER);
    byte[] body =
        ("{\"name\": \"big-"
                + unique()
                + "\", \"baseModel\": \""
                + BASE
                + "\", \"description\": \""
                + "d".repeat(2 * 1024 * 1024)
                + "\"}")
            .getBytes(StandardCharsets.UTF_8);

    RawHttp.Answer answer;
    try (var http = new RawHttp(port, 0)) {
      http.send(post("/api/v1/adapters", publisher, "Transfer-Encoding: chunked"), new byte[0]);
      var writer =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      for (int i = 0; i < body.length; i += 64 * 1024) {
                        http.out()
                            .write(
                                RawHttp.chunk(
                                    java.util.Arrays.copyOfRange(
                                        body, i, Math.min(body.length, i + 64 * 1024))));
                      }
                      http.out().write(RawHttp.chunk(new byte[0]));
                    } catch (IOException e) {
                      // The server may close the connection once it has answered.
                    }
                  });
      answer = http.read();
      writer.join(30_000);
    }

    assertThat(answer.status()).isEqualTo(413);
    assertThat(answer.body()).contains("/problems/too-large");
  }

  @Test
  void aReaderPostingAnEndlessBodyIsRefusedWithoutItBeingRead() throws Exception {
    String reader = tokenWith(Role.READER);

    var answers = new ArrayList<RawHttp.Answer>();
    for (String path : List.of("/api/v1/adapters", "/api/v1/tokens")) {
      try (var http = new RawHttp(port, 0)) {
        // A chunked body that never ends: whoever waits to parse it waits for ever.
        http.send(
            post(path, reader, "Transfer-Encoding: chunked"),
            RawHttp.chunk("{\"name\": \"".getBytes(StandardCharsets.UTF_8)));
        answers.add(http.read());
      }
    }

    assertThat(answers).extracting(RawHttp.Answer::status).containsExactly(403, 403);
    assertThat(answers.getFirst().body()).contains("PUBLISHER");
    assertThat(answers.getLast().body()).contains("ADMIN");
  }

  @Test
  void anUploadOfTwoHundredPartsIs413() throws Exception {
    var d = dir();
    var files = new ArrayList<File>();
    files.add(Fixtures.write(d, "config.json", Fixtures.modelConfig()).toFile());
    for (int i = 1; i < 200; i++) {
      files.add(
          Fixtures.write(
                  d,
                  String.format("model-%05d-of-00199.safetensors", i),
                  Fixtures.withHeader("{}", new byte[0]))
              .toFile());
    }
    String name = "parts-" + unique();

    var p = problem(413, () -> new BaseModelsApi(admin()).uploadBaseModel(name, files));

    assertThat(p.getDetail()).contains("64 parts");
    problem(404, () -> new BaseModelsApi(admin()).getBaseModel(name));
  }

  @Test
  void jsonFilesBeyondTheInMemoryBudgetAre413() throws Exception {
    var d = dir();
    String big = "{\"pad\": \"" + "x".repeat(200 * 1024) + "\"}";
    String name = "budget-" + unique();

    var p =
        problem(
            413,
            () ->
                new BaseModelsApi(admin())
                    .uploadBaseModel(
                        name,
                        List.of(
                            Fixtures.write(d, "config.json", Fixtures.modelConfig()).toFile(),
                            Fixtures.write(d, "tokenizer.json", big).toFile(),
                            Fixtures.write(d, "tokenizer_config.json", big).toFile(),
                            Fixtures.write(d, "model.safetensors", Fixtures.modelWeights(3))
                                .toFile())));

    assertThat(p.getErrors())
        .extracting(e -> e.getField())
        .containsExactly("tokenizer_config.json");
    problem(404, () -> new BaseModelsApi(admin()).getBaseModel(name));
  }

  @Test
  void picklesAndFilesAVersionCannotHoldAreRefusedByName() throws Exception {
    String adapter = newAdapter();
    var d = dir();
    var lora = loraFiles(4, List.of("q_proj"), false, 5);

    var pickle =
        problem(
            400,
            () ->
                versions()
                    .publishVersion(
                        adapter,
                        List.of(
                            lora.get(0),
                            lora.get(1),
                            Fixtures.write(d, "adapter_model.bin", new byte[16]).toFile()),
                        null));
    var stray =
        problem(
            400,
            () ->
                versions()
                    .publishVersion(
                        adapter,
                        List.of(
                            lora.get(0),
                            lora.get(1),
                            Fixtures.write(d, "run.sh", "rm -rf /").toFile()),
                        null));
    var withCard =
        versions()
            .publishVersion(
                adapter,
                List.of(
                    lora.get(0),
                    lora.get(1),
                    Fixtures.write(d, "README.md", "# an expert").toFile()),
                null);

    assertThat(pickle.getType().toString()).endsWith("/file-not-accepted");
    assertThat(pickle.getErrors())
        .extracting(e -> e.getField())
        .containsExactly("adapter_model.bin");
    assertThat(pickle.getDetail()).contains("safetensors");
    assertThat(stray.getErrors()).extracting(e -> e.getField()).containsExactly("run.sh");
    assertThat(withCard.getVersion()).isEqualTo(1);
    assertThat(withCard.getFiles()).extracting(f -> f.getName()).contains("README.md");
  }

  private static String post(String path, String token, String framing) {
    return "POST "
        + path
        + " HTTP/1.1\nHost: localhost\nAuthorization: Bearer "
        + token
        + "\nContent-Type: application/json\n"
        + framing
        + "\n";
  }
}
