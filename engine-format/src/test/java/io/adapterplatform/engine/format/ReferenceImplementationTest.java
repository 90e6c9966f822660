package io.adapterplatform.engine.format;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files written by the reference Python implementation (safetensors 0.8.0, see make-reference.py in
 * the test resources): F32/F16/BF16, empty and scalar tensors, metadata, its dtype-then-name order.
 */
class ReferenceImplementationTest {

  @TempDir Path dir;

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = ReferenceImplementationTest.class.getResourceAsStream(name)) {
      return in.readAllBytes();
    }
  }

  @Test
  void readsWhatTheReferenceWroteAndRewritesTheSameTensorBytes() throws Exception {
    Path file =
        Files.write(dir.resolve("reference.safetensors"), resource("reference.safetensors"));
    JsonObject expected;
    try (InputStream in = ReferenceImplementationTest.class.getResourceAsStream("reference.json")) {
      expected =
          JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8))
              .getAsJsonObject();
    }

    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertThat(f.header().metadata())
          .isEqualTo(Map.of("format", "pt", "writer", "safetensors 0.8.0"));
      assertThat(f.header().tensors()).hasSize(expected.size());
      SafetensorsWriter again = new SafetensorsWriter().metadata(f.header().metadata());
      for (Map.Entry<String, JsonElement> e : expected.entrySet()) {
        JsonObject t = e.getValue().getAsJsonObject();
        TensorInfo info = f.header().require(e.getKey());
        assertThat(info.dtype().name()).isEqualTo(t.get("dtype").getAsString());
        assertThat(info.shape())
            .isEqualTo(
                t.get("shape").getAsJsonArray().asList().stream()
                    .mapToLong(JsonElement::getAsLong)
                    .toArray());
        assertThat(f.readBytes(e.getKey()))
            .isEqualTo(HexFormat.of().parseHex(t.get("hex").getAsString()));
        again.add(info.name(), info.dtype(), info.shape(), f.readRaw(info.name()));
      }
      SafetensorsHeader ours = Fixtures.header(again.toByteArray());
      for (TensorInfo t : ours.tensors()) {
        assertThat(t.byteLength()).isEqualTo(f.header().require(t.name()).byteLength());
      }
    }
  }
}
