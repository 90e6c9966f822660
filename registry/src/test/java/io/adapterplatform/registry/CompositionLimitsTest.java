package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.model.Role;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Composing is bounded before it reads anything, and what it builds is not rebuilt for every
 * reader.
 */
class CompositionLimitsTest extends RegistryTestBase {

  @Autowired MeterRegistry meters;

  @Test
  void aCompositionNamingOneExpertTwoThousandTimesIsRefusedBeforeAnythingIsRead() throws Exception {
    String expert = newAdapter();
    versions().publishVersion(expert, loraFiles(4, MixLoraTest.FFN, false, 31), null);
    String mix = newAdapter();
    double before = builds();

    long started = System.nanoTime();
    var response =
        compose(ADMIN, mix, Map.of("experts", Collections.nCopies(2000, expert + "@1"), "topK", 2));
    long millis = (System.nanoTime() - started) / 1_000_000;

    assertThat(response.statusCode()).as(response.body()).isEqualTo(422);
    assertThat(response.body()).contains("compose.experts").contains("1024");
    assertThat(builds()).as("plans built").isEqualTo(before);
    assertThat(millis).as("milliseconds to refuse").isLessThan(1000);
  }

  @Test
  void readersDownloadingAComposedVersionReuseItsPlan() throws Exception {
    String a = newAdapter();
    String b = newAdapter();
    versions().publishVersion(a, loraFiles(4, MixLoraTest.FFN, false, 32), null);
    versions().publishVersion(b, loraFiles(4, MixLoraTest.FFN, false, 33), null);
    String mix = newAdapter();
    double beforeCompose = builds();
    var composed =
        compose(ADMIN, mix, Map.of("experts", List.of(a + "@1", b + "@1", a + "@1"), "topK", 2));
    assertThat(composed.statusCode()).as(composed.body()).isEqualTo(201);
    double afterCompose = builds();
    assertThat(afterCompose).as("plans built by composing").isEqualTo(beforeCompose + 1);
    String reader = tokenWith(Role.READER);
    var client = HttpClient.newHttpClient();
    String file =
        "http://localhost:"
            + port
            + "/api/v1/adapters/"
            + mix
            + "/versions/1/files/adapter_model.safetensors";

    var first =
        client.send(
            HttpRequest.newBuilder(URI.create(file))
                .header("Authorization", "Bearer " + reader)
                .header("Range", "bytes=0-0")
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    var whole =
        client.send(
            HttpRequest.newBuilder(URI.create(file))
                .header("Authorization", "Bearer " + reader)
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    var experts =
        client.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://localhost:"
                            + port
                            + "/api/v1/adapters/"
                            + mix
                            + "/versions/1/experts"))
                .header("Authorization", "Bearer " + reader)
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(first.statusCode()).isEqualTo(206);
    assertThat(whole.statusCode()).isEqualTo(200);
    assertThat(experts.statusCode()).as(experts.body()).isEqualTo(200);
    assertThat(builds()).as("plans built by the readers' requests").isEqualTo(afterCompose);
  }

  private double builds() {
    var counter = meters.find("registry.mixlora.plan.builds").counter();
    return counter == null ? 0 : counter.count();
  }
}
