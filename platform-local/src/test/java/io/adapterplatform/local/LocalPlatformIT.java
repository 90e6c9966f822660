package io.adapterplatform.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.adapterplatform.local.bench.BenchModel;
import io.adapterplatform.local.bench.RegistryHttp;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/platform up} as a user runs it: the packaged jar in its own JVM, killed hard, started
 * again.
 */
class LocalPlatformIT {

  private static final String ADMIN_TOKEN = "it-admin-token-0123456789abcdef-0123456789";
  private static final Duration START_DEADLINE = Duration.ofMinutes(4);
  private static final Pattern TOKEN = Pattern.compile("\"token\"\\s*:\\s*\"([^\"]+)\"");

  @TempDir Path dataDir;

  @TempDir Path files;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<Platform> started = new ArrayList<>();
  private int port;

  @Test
  void survivesAHardKillWithEverythingIntactAndStopsCleanlyOnSigterm() throws Exception {
    port = freePort();
    var first = start("first");
    assertNotReachableOnOtherInterfaces();
    var registry = registryPresent();
    String issued = null;
    byte[] weights = null;
    if (registry) {
      issued = issueReaderToken();
      assertThat(get("/api/v1/adapters", issued).statusCode()).isEqualTo(200);
      weights = publishAdapterVersion();
    }

    first.process.toHandle().destroyForcibly(); // kill -9: no shutdown hook runs
    first.awaitExit();
    assertThat(Files.exists(dataDir.resolve("postgres/postmaster.pid")))
        .as("PostgreSQL outlives a killed JVM")
        .isTrue();

    var second = start("second");
    assertThat(second.output()).contains("stopping an orphaned PostgreSQL");
    if (registry) {
      assertThat(get("/api/v1/adapters", issued).statusCode())
          .as("a token issued before the kill")
          .isEqualTo(200);
      assertThat(get("/api/v1/adapters/it-lora/versions/1", issued).statusCode()).isEqualTo(200);
      var download =
          new RegistryHttp(uri("").toString(), issued)
              .download("/api/v1/adapters/it-lora/versions/1/files/adapter_model.safetensors");
      assertThat(download.statusCode()).isEqualTo(200);
      assertThat(download.body())
          .as("the adapter's bytes after kill -9 and restart")
          .isEqualTo(weights);
    }

    second
        .process
        .toHandle()
        .destroy(); // SIGTERM; Process.destroy() would also close our end of its output
    second.awaitExit();
    assertThat(second.output()).contains("embedded backends stopped");
    assertThat(dataDir.resolve("postgres/postmaster.pid")).doesNotExist();
    assumeTrue(
        registry, "the registry API is not on this branch yet: only the backends were checked");
  }

  @Test
  void refusesAShortAdminTokenAtStartWithOneLineSayingWhy() throws Exception {
    var java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    var builder =
        new ProcessBuilder(
            java, "--enable-native-access=ALL-UNNAMED", "-jar", System.getProperty("platform.jar"));
    builder.environment().put("PLATFORM_DATA_DIR", dataDir.toString());
    builder.environment().put("PLATFORM_ADMIN_TOKEN", "admin-secret");

    var process = builder.start();
    var stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isEqualTo(2);
    assertThat(stderr.lines().filter(line -> line.startsWith("platform:")))
        .containsExactly(
            "platform: PLATFORM_ADMIN_TOKEN must be at least 32 characters, was 12"
                + " (make one with: openssl rand -hex 24)");
    assertThat(dataDir.resolve("postgres")).as("nothing was started").doesNotExist();
  }

  private Platform start(String name) throws Exception {
    var java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    var jar = System.getProperty("platform.jar");
    var builder =
        new ProcessBuilder(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow",
                "-Dai.djl.offline=true",
                "-Xmx768m",
                "-jar",
                jar)
            .redirectErrorStream(true);
    builder.environment().put("PLATFORM_DATA_DIR", dataDir.toString());
    builder.environment().put("PLATFORM_PORT", Integer.toString(port));
    builder.environment().put("PLATFORM_ADMIN_TOKEN", ADMIN_TOKEN);
    var platform =
        new Platform(builder.start(), Path.of("target", "local-platform-it-" + name + ".log"));
    started.add(platform);
    platform.awaitStarted();
    awaitHealthUp(platform);
    return platform;
  }

  /** Readiness turns UP only after the services' start-up runners: poll, with a deadline. */
  private void awaitHealthUp(Platform platform) throws Exception {
    var deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    var last = "";
    while (System.nanoTime() < deadline && platform.process.isAlive()) {
      var response =
          http.send(
              HttpRequest.newBuilder(uri("/actuator/health")).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      last = response.statusCode() + " " + response.body();
      if (response.statusCode() == 200
          && response.body().replace(" ", "").contains("\"status\":\"UP\"")) {
        return;
      }
      Thread.sleep(100); // poll interval, not a timing assumption: the deadline bounds the wait
    }
    throw new AssertionError("health never became UP; last answer: " + last);
  }

  /**
   * The default bind is loopback: an address of this host on another interface must refuse the
   * connection.
   */
  private void assertNotReachableOnOtherInterfaces() throws Exception {
    var others =
        NetworkInterface.networkInterfaces()
            .filter(nic -> isUp(nic))
            .flatMap(NetworkInterface::inetAddresses)
            .filter(address -> !address.isLoopbackAddress() && !address.isLinkLocalAddress())
            .toList();
    try (var loopback = new Socket(InetAddress.getLoopbackAddress(), port)) {
      assertThat(loopback.isConnected()).isTrue();
    }
    for (var address : others) {
      assertThatThrownBy(() -> new Socket(address, port).close())
          .as("port %d on %s", port, address)
          .isInstanceOf(ConnectException.class);
    }
  }

  private static boolean isUp(NetworkInterface nic) {
    try {
      return nic.isUp();
    } catch (SocketException e) {
      return false;
    }
  }

  private boolean registryPresent() throws Exception {
    return get("/api/v1/adapters", ADMIN_TOKEN).statusCode() != 404;
  }

  private String issueReaderToken() throws Exception {
    var response =
        http.send(
            HttpRequest.newBuilder(uri("/api/v1/tokens"))
                .header("Authorization", "Bearer " + ADMIN_TOKEN)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"name\":\"it-reader\",\"roles\":[\"READER\"]}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    var matcher = TOKEN.matcher(response.body());
    assertThat(matcher.find()).as(response.body()).isTrue();
    return matcher.group(1);
  }

  /**
   * A tiny base model, an adapter and its version 1 through the registry API; returns the weights'
   * bytes.
   */
  private byte[] publishAdapterVersion() throws Exception {
    var registry = new RegistryHttp(uri("").toString(), ADMIN_TOKEN);
    var model = new BenchModel(16, 32, 2, 2, 1, 32);
    model.writeBaseModel(files.resolve("model.safetensors"));
    RegistryHttp.expect(
        registry.multipart(
            "/api/v1/base-models",
            Map.of("name", "it-base"),
            List.of(
                new RegistryHttp.FilePart(
                    "config.json", RegistryHttp.textFile(files, "config.json", model.config())),
                new RegistryHttp.FilePart(
                    "model.safetensors", files.resolve("model.safetensors")))),
        201,
        "base model");
    RegistryHttp.expect(
        registry.postJson("/api/v1/adapters", "{\"name\":\"it-lora\",\"baseModel\":\"it-base\"}"),
        201,
        "adapter");
    model.writeAdapter(files.resolve("adapter_model.safetensors"), 2);
    RegistryHttp.expect(
        registry.multipart(
            "/api/v1/adapters/it-lora/versions",
            Map.of(),
            List.of(
                new RegistryHttp.FilePart(
                    "adapter_config.json",
                    RegistryHttp.textFile(
                        files, "adapter_config.json", BenchModel.adapterConfig(2))),
                new RegistryHttp.FilePart(
                    "adapter_model.safetensors", files.resolve("adapter_model.safetensors")))),
        201,
        "version");
    return Files.readAllBytes(files.resolve("adapter_model.safetensors"));
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + token).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  @AfterEach
  void stopEverything() throws Exception {
    for (var platform : started) {
      if (platform.process.isAlive()) {
        platform.process.destroy();
        if (!platform.process.waitFor(60, TimeUnit.SECONDS)) {
          platform.process.destroyForcibly();
        }
      }
    }
    // A failed run must not leave an orphaned PostgreSQL behind on the build machine.
    var pidFile = dataDir.resolve("postgres/postmaster.pid");
    if (Files.exists(pidFile)) {
      var pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().trim());
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
    }
  }

  private static int freePort() throws IOException {
    try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** A child platform JVM whose output is copied to a log file and watched for the start line. */
  private static final class Platform {
    final Process process;
    private final StringBuffer output = new StringBuffer();
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();

    Platform(Process process, Path log) throws IOException {
      this.process = process;
      Files.createDirectories(log.getParent());
      Thread.ofPlatform().daemon().name("platform-output").start(() -> copy(log));
    }

    private void copy(Path log) {
      try (var in =
              new BufferedReader(
                  new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
          var out = Files.newBufferedWriter(log)) {
        String line;
        while ((line = in.readLine()) != null) {
          output.append(line).append('\n');
          out.write(line);
          out.newLine();
          out.flush();
          if (line.contains("Started LocalPlatform in")) {
            started.complete(null);
          }
        }
      } catch (IOException e) {
        started.completeExceptionally(e);
      }
      started.completeExceptionally(
          new AssertionError("the platform exited before it started; see " + log));
      drained.complete(null);
    }

    /** Waits for the JVM to exit and for its last output lines to be read. */
    void awaitExit() throws Exception {
      assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("the platform exits").isTrue();
      drained.get(30, TimeUnit.SECONDS);
    }

    void awaitStarted() {
      try {
        started.get(START_DEADLINE.toSeconds(), TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError(
            "the platform did not start within " + START_DEADLINE + ":\n" + tail(), e);
      }
    }

    String output() {
      return output.toString();
    }

    private String tail() {
      var text = output.toString();
      return text.substring(Math.max(0, text.length() - 4000));
    }
  }
}
