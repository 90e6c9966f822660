package io.adapterplatform.local.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every shell block of README.md and docs/*.md runs as written: one bash per document, its blocks
 * in order, in a fresh directory that looks like the repository's root, with {@code set -euo
 * pipefail} and curl failing on HTTP errors. A {@code bin/platform up} line starts the platform in
 * the background (on a free port and a temporary data directory unless the line sets them) and
 * waits until it is UP; {@code localhost:8080} in the text means that port. A block that cannot run
 * here says so, with its reason, in a comment right above it: {@code <!-- docs-test: skip (why)
 * -->}.
 */
class DocsCommandsIT {

  static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  private static final Set<String> NOT_LINKED =
      Set.of(".git", ".platform-data", "demo", "target", ".gpu");

  @TempDir Path work;

  @TestFactory
  Stream<DynamicTest> everyDocumentedShellBlockRuns() throws IOException {
    var documents = new ArrayList<Path>();
    documents.add(REPO.resolve("README.md"));
    try (var docs = Files.list(REPO.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(documents::add);
    }
    var tests = new ArrayList<DynamicTest>();
    for (Path document : documents) {
      var blocks = DocBlocks.parse(Files.readString(document));
      if (blocks.stream().anyMatch(b -> b.skipReason() == null)) {
        tests.add(
            DynamicTest.dynamicTest(
                REPO.relativize(document).toString(), () -> run(document, blocks)));
      }
    }
    assertThat(tests).as("documents with shell blocks to run").isNotEmpty();
    return tests.stream();
  }

  private void run(Path document, List<DocBlocks.Block> blocks) throws Exception {
    String name = document.getFileName().toString().replace(".md", "");
    Path root = Files.createDirectories(work.resolve(name));
    try (var entries = Files.list(REPO)) {
      for (Path entry :
          entries.filter(e -> !NOT_LINKED.contains(e.getFileName().toString())).toList()) {
        Files.createSymbolicLink(root.resolve(entry.getFileName()), entry);
      }
    }
    int port = freePort();
    Path script = root.resolve("docs-test.sh");
    Files.writeString(script, DocBlocks.script(blocks, port));
    Path log = Files.createDirectories(Path.of("target", "docs-commands")).resolve(name + ".log");
    var builder =
        new ProcessBuilder("bash", script.toString())
            .directory(root.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().put("HOME", root.toString());
    builder.environment().put("PLATFORM_DATA_DIR", root.resolve(".platform-data").toString());
    builder.environment().put("__DOCS_PORT", Integer.toString(port));
    builder.environment().put("__DOCS_LOG", root.resolve("platform.log").toString());
    engineClasspath().ifPresent(cp -> builder.environment().put("PLATFORM_ENGINE_CLASSPATH", cp));
    var process = builder.start();

    boolean exited = process.waitFor(15, TimeUnit.MINUTES);
    if (!exited) {
      process.descendants().forEach(ProcessHandle::destroy);
      process.destroy();
    }

    assertThat(exited)
        .as("%s finished within 15 minutes; output in %s", document, log.toAbsolutePath())
        .isTrue();
    assertThat(process.exitValue())
        .as(
            "exit status of %s's shell blocks; the end of the output:\n%s",
            REPO.relativize(document), tail(log))
        .isZero();
  }

  /**
   * The engine CLI's classes as this build just produced them: left to itself {@code bin/platform
   * engine} would rebuild them in the middle of {@code mvnw verify}.
   */
  private static java.util.Optional<String> engineClasspath() throws IOException {
    Path tools = REPO.resolve("engine-tools/target");
    if (!Files.exists(tools.resolve("runtime-classpath.txt"))
        || !Files.isDirectory(tools.resolve("classes"))) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        tools.resolve("classes")
            + java.io.File.pathSeparator
            + Files.readString(tools.resolve("runtime-classpath.txt")).strip());
  }

  private static String tail(Path log) throws IOException {
    var text = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
    return text.substring(Math.max(0, text.length() - 6000));
  }

  private static int freePort() throws IOException {
    try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
