package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Clients that read slowly or not at all hold only their own download, never everyone else's. */
class SlowDownloadsTest extends RegistryTestBase {

  @Test
  void sixteenStalledDownloadsDoNotDelayASeventeenth() throws Exception {
    String adapter = newAdapter();
    var d = dir();
    var lora = loraFiles(4, List.of("q_proj"), false, 21);
    // Far more than the socket buffers between the registry and a client that stopped reading can
    // absorb.
    byte[] card = new byte[24 * 1024 * 1024];
    java.util.Arrays.fill(card, (byte) '#');
    versions()
        .publishVersion(
            adapter,
            List.of(lora.get(0), lora.get(1), Fixtures.write(d, "README.md", card).toFile()),
            null);
    String path = "/api/v1/adapters/" + adapter + "/versions/1/files/";

    var stalled = new ArrayList<RawHttp>();
    try {
      for (int i = 0; i < 16; i++) {
        var http = new RawHttp(port, 4096);
        stalled.add(http);
        http.send(
            "GET "
                + path
                + "README.md HTTP/1.1\nHost: localhost\nAuthorization: Bearer "
                + ADMIN
                + "\n",
            new byte[0]);
        // Its answer has started (so its download is running) and is then never read further.
        assertThat(http.head().status()).isEqualTo(200);
      }

      var small =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://localhost:" + port + path + "adapter_config.json"))
                      .header("Authorization", "Bearer " + ADMIN)
                      .timeout(Duration.ofSeconds(30))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());

      assertThat(small.statusCode()).isEqualTo(200);
      assertThat(small.body()).contains("\"r\"");
    } finally {
      for (var http : stalled) {
        http.close();
      }
    }
  }
}
