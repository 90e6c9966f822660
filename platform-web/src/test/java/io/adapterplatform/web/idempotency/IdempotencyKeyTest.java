package io.adapterplatform.web.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.adapterplatform.web.problem.ApiException;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

class IdempotencyKeyTest {

  @Test
  void aKeyIsOneTo255VisibleAsciiCharacters() {
    assertThat(IdempotencyKey.fromHeader("a")).isEqualTo(new IdempotencyKey("a"));
    assertThat(IdempotencyKey.fromHeader("~".repeat(255)).value()).hasSize(255);
    assertThat(IdempotencyKey.fromHeader(null)).isNull();

    for (String bad : new String[] {"", "x".repeat(256), "with space", "tab\t", "é"}) {
      assertThatThrownBy(() -> IdempotencyKey.fromHeader(bad))
          .as(bad)
          .isInstanceOfSatisfying(
              ApiException.class,
              e -> {
                assertThat(e.status()).isEqualTo(HttpStatus.BAD_REQUEST);
                assertThat(e.errors())
                    .containsExactly(
                        new ApiException.FieldError(
                            "Idempotency-Key", "must be 1 to 255 visible ASCII characters"));
              });
    }
  }

  @Test
  void aKeyReusedForAnotherRequestIs422NamingTheHeader() {
    ApiException problem = new IdempotencyKey("k-1").reusedForAnotherRequest();

    assertThat(problem.status()).isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT);
    assertThat(problem.slug()).isEqualTo("idempotency-key-reused");
    assertThat(problem.getMessage()).contains("'k-1'");
    assertThat(problem.errors())
        .containsExactly(
            new ApiException.FieldError("Idempotency-Key", "used before with a different request"));
  }

  @Test
  void theDigestIsTheHexSha256OfTheRequest() {
    assertThat(IdempotencyKey.digest("abc"))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  @Test
  void aReplayedAnswerKeepsStatusLocationAndBodyAndSaysItIsReplayed() {
    var replayed = IdempotencyKey.replayed(HttpStatus.CREATED, "/api/v1/things/1", "body");
    var withoutLocation = IdempotencyKey.replayed(HttpStatus.ACCEPTED, null, null);

    assertThat(replayed.getStatusCode()).isEqualTo(HttpStatus.CREATED);
    assertThat(replayed.getHeaders().getFirst("Idempotent-Replayed")).isEqualTo("true");
    assertThat(replayed.getHeaders().getFirst("Location")).isEqualTo("/api/v1/things/1");
    assertThat(replayed.getBody()).isEqualTo("body");
    assertThat(withoutLocation.getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
    assertThat(withoutLocation.getHeaders().containsHeader("Location")).isFalse();
    assertThat(withoutLocation.getBody()).isNull();
  }
}
