package io.adapterplatform.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The check that `./mvnw -Pimages package` runs on every image tarball
 * (src/images/ImageInspector.java), on tarballs laid out as Jib writes them (Docker archive:
 * manifest.json, config, gzipped layers).
 */
class ImageInspectorTest {

  private static final Path INSPECTOR =
      Path.of(System.getProperty("images.dir", "src/images")).resolve("ImageInspector.java");

  @TempDir Path work;

  @Test
  void showsTheUserAndEntrypointOfANonRootImage() throws Exception {
    var tarball = image("10001:10001", "/opt/java/bin/java", 0755);

    var result = inspect(tarball);

    assertThat(result.exitCode()).as(result.output()).isZero();
    assertThat(result.output())
        .contains("user:        10001:10001")
        .contains("entrypoint:  [/opt/java/bin/java, -cp, @/app/jib-classpath-file, demo.Main]");
  }

  @Test
  void refusesAnImageThatRunsAsRoot() throws Exception {
    var result = inspect(image("", "/opt/java/bin/java", 0755));

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.output()).contains("REFUSED").contains("runs as root");
  }

  @Test
  void refusesAnEntrypointThatIsNotAnExecutableOfTheImage() throws Exception {
    var result = inspect(image("10001", "/opt/java/bin/java", 0644));

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.output()).contains("is not an executable file of the image");
  }

  record Result(int exitCode, String output) {}

  private Result inspect(Path tarball) throws IOException, InterruptedException {
    var java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    var process =
        new ProcessBuilder(java, INSPECTOR.toString(), tarball.toString())
            .redirectErrorStream(true)
            .start();
    var output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(process.waitFor(), output);
  }

  private Path image(String user, String program, int mode) throws IOException {
    var layer = new ByteArrayOutputStream();
    try (var gzip = new GZIPOutputStream(layer)) {
      gzip.write(
          tar(
              Map.of(
                  program.substring(1),
                  new Entry(mode, new byte[] {1}),
                  "app/jib-classpath-file",
                  new Entry(0644, "/app/classes".getBytes()))));
    }
    var config =
        """
        {"created":"2026-01-01T00:00:00Z","architecture":"amd64","os":"linux",
         "config":{"User":"%s","Entrypoint":["%s","-cp","@/app/jib-classpath-file","demo.Main"],
                   "Env":["JAVA_HOME=/opt/java"],"ExposedPorts":{"8080/tcp":{}}}}
        """
            .formatted(user, program);
    var manifest =
        "[{\"Config\":\"config.json\",\"RepoTags\":[\"demo:1\"],\"Layers\":[\"layer.tar.gz\"]}]";
    var files = new LinkedHashMap<String, Entry>();
    files.put("manifest.json", new Entry(0644, manifest.getBytes(StandardCharsets.UTF_8)));
    files.put("config.json", new Entry(0644, config.getBytes(StandardCharsets.UTF_8)));
    files.put("layer.tar.gz", new Entry(0644, layer.toByteArray()));
    return Files.write(work.resolve("image.tar"), tar(files));
  }

  record Entry(int mode, byte[] content) {}

  /** A ustar archive of regular files. */
  private static byte[] tar(Map<String, Entry> files) throws IOException {
    var out = new ByteArrayOutputStream();
    for (var file : files.entrySet()) {
      var header = new byte[512];
      put(header, 0, file.getKey());
      put(header, 100, "%07o".formatted(file.getValue().mode()));
      put(header, 108, "0000000");
      put(header, 116, "0000000");
      put(header, 124, "%011o".formatted(file.getValue().content().length));
      put(header, 136, "00000000000");
      header[156] = '0';
      put(header, 257, "ustar");
      java.util.Arrays.fill(header, 148, 156, (byte) ' ');
      var sum = 0;
      for (var b : header) {
        sum += b & 0xff;
      }
      put(header, 148, "%06o\0".formatted(sum));
      out.write(header);
      out.write(file.getValue().content());
      out.write(new byte[(512 - file.getValue().content().length % 512) % 512]);
    }
    out.write(new byte[1024]);
    return out.toByteArray();
  }

  private static void put(byte[] header, int offset, String text) {
    var bytes = text.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(bytes, 0, header, offset, bytes.length);
  }
}
