package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.adapterplatform.api.registry.model.MoveAliasRequest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Hugging Face's official JS client ({@code @huggingface/hub}) lists and downloads adapter
 * revisions from the registry's /hf endpoint. The client is installed once per build into
 * target/hf-client by npm; without node on the machine the test is skipped (node 20 is present here
 * and in CI).
 */
class HfOfficialClientTest extends RegistryTestBase {

  private static final String CLIENT = "@huggingface/hub@2.17.5";
  private static final Path CLIENT_DIR = Path.of("target", "hf-client");

  @Test
  void theOfficialClientReadsVersionsByNumberAliasAndMain() throws Exception {
    assumeThat(found("node"))
        .as("node is not installed: the official Hugging Face client cannot run here")
        .isTrue();
    installClient();
    String name = newAdapter();
    var v1 = loraFiles(4, List.of("q_proj", "v_proj"), false, 41);
    var v2 = loraFiles(8, List.of("q_proj", "k_proj", "v_proj"), false, 42);
    versions().publishVersion(name, v1, null);
    versions().publishVersion(name, v2, null);
    aliases().moveAlias(name, "production", new MoveAliasRequest().version(1));

    var seen = JSON.readTree(run(name, List.of("1", "production", "main")));

    var expectedV1 = digests(v1);
    var expectedV2 = digests(v2);
    assertThat(JSON.convertValue(seen.get("1").get("sha256"), Map.class)).isEqualTo(expectedV1);
    assertThat(JSON.convertValue(seen.get("production").get("sha256"), Map.class))
        .isEqualTo(expectedV1);
    assertThat(JSON.convertValue(seen.get("main").get("sha256"), Map.class)).isEqualTo(expectedV2);
    assertThat(seen.get("1").get("sha").asText())
        .matches("^[0-9a-f]{40}$")
        .isEqualTo(seen.get("production").get("sha").asText())
        .isNotEqualTo(seen.get("main").get("sha").asText());
    for (String revision : List.of("1", "production", "main")) {
      var r = seen.get(revision);
      assertThat(r.get("siblings"))
          .extracting(s -> s.asText())
          .containsExactly("adapter_config.json", "adapter_model.safetensors");
      assertThat(r.get("files"))
          .extracting(f -> f.get("path").asText())
          .containsExactly("adapter_config.json", "adapter_model.safetensors");
      assertThat(r.get("missingIsNull").asBoolean())
          .as("a missing file is null, not an error")
          .isTrue();
    }
    assertThat(seen.get("main").get("files").get(1).get("lfsOid").asText())
        .isEqualTo(expectedV2.get("adapter_model.safetensors"));
  }

  @Test
  void theOfficialClientReadsABaseModelByItsNamespacedName() throws Exception {
    assumeThat(found("node"))
        .as("node is not installed: the official Hugging Face client cannot run here")
        .isTrue();
    installClient();
    ensureBaseModel();
    var stored =
        new io.adapterplatform.api.registry.client.BaseModelsApi(admin())
            .getBaseModel(BASE)
            .getFiles();

    var seen = JSON.readTree(run("base-models/" + BASE, List.of("main"))).get("main");

    var expected = new java.util.TreeMap<String, String>();
    stored.forEach(f -> expected.put(f.getName(), f.getSha256()));
    assertThat(JSON.convertValue(seen.get("sha256"), Map.class)).isEqualTo(expected);
    assertThat(seen.get("sha").asText()).matches("^[0-9a-f]{40}$");
  }

  private String run(String repo, List<String> revisions) throws Exception {
    var pb = new ProcessBuilder("node", "client-check.mjs").directory(CLIENT_DIR.toFile());
    pb.environment()
        .putAll(
            Map.of(
                "HUB_URL",
                "http://localhost:" + port + "/hf",
                "TOKEN",
                ADMIN,
                "REPO",
                repo,
                "REVISIONS",
                JSON.writeValueAsString(revisions)));
    var result = exec(pb, 120);
    assertThat(result.code()).as("node client-check.mjs failed:\n" + result.output()).isZero();
    String out = result.output().strip();
    return out.substring(out.lastIndexOf('\n') + 1);
  }

  private static Map<String, String> digests(List<java.io.File> files) throws Exception {
    var map = new java.util.TreeMap<String, String>();
    for (var f : files) {
      map.put(f.getName(), BaseModelTest.sha256(Files.readAllBytes(f.toPath())));
    }
    return map;
  }

  /**
   * npm install once per build (target/ is the cache); the check script sits beside node_modules to
   * import it.
   */
  private static synchronized void installClient() throws Exception {
    Files.createDirectories(CLIENT_DIR);
    try (InputStream script =
        HfOfficialClientTest.class.getResourceAsStream("/hf/client-check.mjs")) {
      Files.copy(
          script, CLIENT_DIR.resolve("client-check.mjs"), StandardCopyOption.REPLACE_EXISTING);
    }
    if (Files.isDirectory(CLIENT_DIR.resolve("node_modules/@huggingface/hub"))) {
      return;
    }
    Files.writeString(
        CLIENT_DIR.resolve("package.json"), "{\"private\": true, \"type\": \"module\"}");
    var result =
        exec(
            new ProcessBuilder(
                    "npm", "install", "--no-audit", "--no-fund", "--loglevel=error", CLIENT)
                .directory(CLIENT_DIR.toFile()),
            300);
    assertThat(result.code()).as("npm install " + CLIENT + " failed:\n" + result.output()).isZero();
  }

  private record Result(int code, String output) {}

  private static Result exec(ProcessBuilder pb, int seconds)
      throws IOException, InterruptedException {
    Process p = pb.redirectErrorStream(true).start();
    var output = new StringBuilder();
    Thread reader =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    output.append(
                        new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                  } catch (IOException e) {
                    output.append("(output unreadable: ").append(e.getMessage()).append(')');
                  }
                });
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(
          String.join(" ", pb.command()) + " did not finish within " + seconds + " s");
    }
    reader.join();
    return new Result(p.exitValue(), output.toString());
  }

  private static boolean found(String command) {
    try {
      return exec(new ProcessBuilder(command, "--version"), 30).code() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }
}
