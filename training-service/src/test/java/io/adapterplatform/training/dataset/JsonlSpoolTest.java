package io.adapterplatform.training.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.adapterplatform.web.problem.ApiException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class JsonlSpoolTest {

  private final JsonlSpool spool = new JsonlSpool(JsonMapper.builder().build(), 200, 40);

  private JsonlSpool.Result copy(String text) {
    return spool.copy(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void keepsTheBytesAsSentAndCountsRecordsAcrossLineEndings() throws Exception {
    String text = "{\"text\":\"a\"}\r\n\n   \n{\"prompt\":\"p\",\"completion\":\"c\"}";

    var result = copy(text);

    assertThat(result.records()).isEqualTo(2);
    assertThat(result.badLines()).isZero();
    assertThat(result.size()).isEqualTo(text.length());
    assertThat(Files.readString(result.file())).isEqualTo(text);
    JsonlSpool.delete(result.file());
  }

  @Test
  void aLineOfExactlyTheLimitPassesAndOneByteMoreIs413() {
    String exact = "{\"text\":\"" + "x".repeat(40 - 11) + "\"}";
    assertThat(exact).hasSize(40);

    var ok = copy(exact + "\n");
    var tooLong =
        catchThrowableOfType(ApiException.class, () -> copy(exact.replace("{\"", "{ \"") + "\n"));

    assertThat(ok.records()).isEqualTo(1);
    assertThat(tooLong.status().value()).isEqualTo(413);
    JsonlSpool.delete(ok.file());
  }

  @Test
  void aFileOverItsLimitIs413() {
    var tooLarge =
        catchThrowableOfType(ApiException.class, () -> copy("{\"text\":\"a\"}\n".repeat(20)));

    assertThat(tooLarge.status().value()).isEqualTo(413);
  }

  @Test
  void reportsTheFirstTenBadLinesAndCountsThemAll() {
    var result = copy("nope\n".repeat(12) + "{\"text\":\"ok\"}\n");

    assertThat(result.badLines()).isEqualTo(12);
    assertThat(result.records()).isEqualTo(1);
    assertThat(result.firstBad())
        .extracting(JsonlSpool.BadLine::line)
        .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
    JsonlSpool.delete(result.file());
  }
}
