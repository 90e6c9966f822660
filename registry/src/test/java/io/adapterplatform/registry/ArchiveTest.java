package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.model.AdapterVersion;
import io.adapterplatform.api.registry.model.Compose;
import io.adapterplatform.api.registry.model.ComposeRequest;
import io.adapterplatform.api.registry.model.FileInfo;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@code GET .../versions/{ref}/archive}: every file of a version as one tar. */
class ArchiveTest extends RegistryTestBase {

  @Test
  void archiveHoldsEveryFileOfTheVersionByteForByte() throws Exception {
    String name = newAdapter();
    var files = new java.util.ArrayList<>(loraFiles(4, List.of("q_proj", "v_proj"), false, 71));
    // a model card beside the adapter (long names and pax records: TarFormatTest)
    files.add(Fixtures.write(dir(), "README.md", "# notes\n").toFile());
    var v = versions().publishVersion(name, files, null);

    var response = archive(name, "1", null);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/x-tar");
    assertThat(response.headers().firstValue("Content-Disposition"))
        .hasValueSatisfying(d -> assertThat(d).contains("filename=\"" + name + "-v1.tar\""));
    assertThat(response.headers().firstValueAsLong("Content-Length"))
        .hasValue(response.body().length);
    assertThat(digests(untar(response.body()))).isEqualTo(digests(v));
    assertThat(untar(response.body()))
        .containsKeys("adapter_config.json", "adapter_model.safetensors", "README.md");
  }

  @Test
  void etagIsStablePerVersionAndAnswers304() throws Exception {
    String name = newAdapter();
    publishLora(name, 72);
    publishLora(name, 73);

    var first = archive(name, "1", null);
    var again = archive(name, "1", null);
    var other = archive(name, "2", null);
    String etag = first.headers().firstValue("ETag").orElseThrow();
    var notModified = archive(name, "1", etag);

    assertThat(etag).matches("\"[^\"]+\"");
    assertThat(again.headers().firstValue("ETag")).hasValue(etag);
    assertThat(again.body()).isEqualTo(first.body());
    assertThat(other.headers().firstValue("ETag")).isNotEqualTo(Optional.of(etag));
    assertThat(notModified.statusCode()).isEqualTo(304);
    assertThat(notModified.body()).isEmpty();
    assertThat(archive(name, "9", null).statusCode()).isEqualTo(404);
  }

  @Test
  void composedMixLoraArchiveHoldsItsGeneratedWeights() throws Exception {
    String a = newAdapter();
    String b = newAdapter();
    versions().publishVersion(a, loraFiles(4, MixLoraTest.FFN, false, 74), null);
    versions().publishVersion(b, loraFiles(4, MixLoraTest.FFN, false, 75), null);
    String mix = newAdapter();
    var v =
        versions()
            .composeVersion(
                mix,
                new ComposeRequest()
                    .compose(new Compose().experts(List.of(a + "@1", b + "@1")).topK(1)));

    var file = versions().downloadVersionArchive(mix, "1", null);

    var entries = untar(Files.readAllBytes(file.toPath()));
    assertThat(digests(entries)).isEqualTo(digests(v));
    byte[] weights =
        Files.readAllBytes(
            versions()
                .downloadVersionFile(mix, "1", "adapter_model.safetensors", null, null)
                .toPath());
    assertThat(entries.get("adapter_model.safetensors")).isEqualTo(weights);
  }

  private HttpResponse<byte[]> archive(String adapter, String ref, String ifNoneMatch)
      throws Exception {
    var request =
        HttpRequest.newBuilder(
                URI.create(
                    "http://localhost:"
                        + port
                        + "/api/v1/adapters/"
                        + adapter
                        + "/versions/"
                        + ref
                        + "/archive"))
            .header("Authorization", "Bearer " + ADMIN);
    if (ifNoneMatch != null) {
      request.header("If-None-Match", ifNoneMatch);
    }
    return HttpClient.newHttpClient()
        .send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static Map<String, String> digests(AdapterVersion v) {
    return v.getFiles().stream().collect(Collectors.toMap(FileInfo::getName, FileInfo::getSha256));
  }

  private static Map<String, String> digests(Map<String, byte[]> entries) throws Exception {
    var out = new LinkedHashMap<String, String>();
    for (var e : entries.entrySet()) {
      out.put(e.getKey(), BaseModelTest.sha256(e.getValue()));
    }
    return out;
  }

  /** A plain reading of ustar and pax 'path' records, independent of the writer under test. */
  static Map<String, byte[]> untar(byte[] tar) {
    var entries = new LinkedHashMap<String, byte[]>();
    int at = 0;
    String paxPath = null;
    while (at + 512 <= tar.length) {
      byte[] header = Arrays.copyOfRange(tar, at, at + 512);
      if (allZero(header)) {
        break;
      }
      assertThat(new String(header, 257, 5, StandardCharsets.US_ASCII)).isEqualTo("ustar");
      assertThat(checksum(header)).isEqualTo(Long.parseLong(field(header, 148, 8), 8));
      String name = field(header, 0, 100);
      int size = (int) Long.parseLong(field(header, 124, 12), 8);
      byte[] data = Arrays.copyOfRange(tar, at + 512, at + 512 + size);
      at += 512 + (size + 511) / 512 * 512;
      if (header[156] == 'x') {
        String record = new String(data, StandardCharsets.UTF_8);
        paxPath =
            record.substring(
                record.indexOf("path=") + 5, record.indexOf('\n', record.indexOf("path=")));
        continue;
      }
      assertThat((char) header[156]).isEqualTo('0');
      entries.put(paxPath != null ? paxPath : name, data);
      paxPath = null;
    }
    return entries;
  }

  private static String field(byte[] header, int from, int length) {
    int end = from;
    while (end < from + length && header[end] != 0) {
      end++;
    }
    return new String(header, from, end - from, StandardCharsets.UTF_8).trim();
  }

  private static long checksum(byte[] header) {
    long sum = 0;
    for (int i = 0; i < 512; i++) {
      sum += (i >= 148 && i < 156) ? ' ' : header[i] & 0xff;
    }
    return sum;
  }

  private static boolean allZero(byte[] block) {
    for (byte b : block) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }
}
