package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.client.AdaptersApi;
import io.adapterplatform.api.registry.client.TokensApi;
import io.adapterplatform.api.registry.model.CreateTokenRequest;
import io.adapterplatform.api.registry.model.Role;
import io.adapterplatform.api.registry.model.TokenInfo;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

class TokenListAndExpiryTest extends RegistryTestBase {

  @Autowired JdbcClient jdbc;

  private TokensApi tokens() {
    return new TokensApi(admin());
  }

  @Test
  void aTokenMayCarryAnExpiryThatItsResourceShows() throws Exception {
    var expiresAt = OffsetDateTime.now(ZoneOffset.UTC).plusHours(1).truncatedTo(ChronoUnit.SECONDS);

    var issued =
        tokens()
            .createToken(
                new CreateTokenRequest()
                    .name("exp-" + unique())
                    .roles(List.of(Role.READER))
                    .expiresAt(expiresAt));

    assertThat(issued.getExpiresAt()).isEqualTo(expiresAt);
    assertThat(issued.getScopes()).isEmpty();
    assertThat(new AdaptersApi(client(issued.getToken())).listAdapters(1, null, null, null, null))
        .isNotNull();
  }

  @Test
  void anExpiredTokenIsRefusedWith401LikeAnUnknownOne() throws Exception {
    var issued =
        tokens()
            .createToken(
                new CreateTokenRequest()
                    .name("exp-" + unique())
                    .roles(List.of(Role.READER))
                    .expiresAt(OffsetDateTime.now().plusHours(1)));

    // Its expiry passes (moved back in the table rather than waited for) before it is first used.
    jdbc.sql("update api_token set expires_at = now() - interval '1 second' where id = ?")
        .param(issued.getId())
        .update();

    var p =
        problem(
            401,
            () ->
                new AdaptersApi(client(issued.getToken()))
                    .listAdapters(null, null, null, null, null));
    assertThat(p.getType().toString()).endsWith("/unauthorized");
  }

  @Test
  void anExpiryInThePastIsRefused() throws Exception {
    var p =
        problem(
            400,
            () ->
                tokens()
                    .createToken(
                        new CreateTokenRequest()
                            .name("past")
                            .roles(List.of(Role.READER))
                            .expiresAt(OffsetDateTime.now().minusMinutes(1))));

    assertThat(p.getErrors()).anySatisfy(e -> assertThat(e.getField()).isEqualTo("expiresAt"));
  }

  @Test
  void anAdminListsTokensPageByPageWithoutSecretsOrHashes() throws Exception {
    var expiresAt = OffsetDateTime.now(ZoneOffset.UTC).plusDays(1).truncatedTo(ChronoUnit.SECONDS);
    var first =
        tokens()
            .createToken(
                new CreateTokenRequest()
                    .name("listed-" + unique())
                    .roles(List.of(Role.PUBLISHER))
                    .scopes(List.of("team-q-"))
                    .expiresAt(expiresAt));
    var second =
        tokens()
            .createToken(
                new CreateTokenRequest().name("listed-" + unique()).roles(List.of(Role.READER)));
    tokens().revokeToken(second.getId());

    var page = tokens().listTokens(1, null);
    assertThat(page.getItems()).hasSize(1);
    assertThat(page.getNextCursor()).isNotNull();
    var all = new java.util.ArrayList<TokenInfo>(page.getItems());
    String cursor = page.getNextCursor();
    while (cursor != null) {
      var next = tokens().listTokens(500, cursor);
      all.addAll(next.getItems());
      cursor = next.getNextCursor();
    }

    assertThat(all)
        .extracting(TokenInfo::getId)
        .isSorted()
        .doesNotHaveDuplicates()
        .contains(first.getId(), second.getId());
    var listedFirst =
        all.stream().filter(t -> t.getId().equals(first.getId())).findFirst().orElseThrow();
    assertThat(listedFirst.getName()).isEqualTo(first.getName());
    assertThat(listedFirst.getRoles()).containsExactly(Role.PUBLISHER);
    assertThat(listedFirst.getScopes()).containsExactly("team-q-");
    assertThat(listedFirst.getExpiresAt()).isEqualTo(expiresAt);
    assertThat(listedFirst.getRevoked()).isFalse();
    var listedSecond =
        all.stream().filter(t -> t.getId().equals(second.getId())).findFirst().orElseThrow();
    assertThat(listedSecond.getRevoked()).isTrue();
    assertThat(listedSecond.getRevokedAt()).isNotNull();

    String raw =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://localhost:" + port + "/api/v1/tokens?limit=500"))
                    .header("Authorization", "Bearer " + ADMIN)
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(raw)
        .doesNotContain(first.getToken())
        .doesNotContain(sha256(first.getToken()))
        .doesNotContain(sha256(ADMIN))
        .doesNotContain("\"token\"")
        .doesNotContain("sha256");
  }

  @Test
  void onlyAnAdminListsTokens() throws Exception {
    String publisher = tokenWith(Role.PUBLISHER);

    problem(403, () -> new TokensApi(client(publisher)).listTokens(null, null));
    problem(401, () -> new TokensApi(client(null)).listTokens(null, null));
  }

  private static String sha256(String s) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
  }
}
