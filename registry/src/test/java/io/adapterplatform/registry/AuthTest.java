package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.client.AdaptersApi;
import io.adapterplatform.api.registry.client.AuditApi;
import io.adapterplatform.api.registry.client.TokensApi;
import io.adapterplatform.api.registry.model.CreateAdapterRequest;
import io.adapterplatform.api.registry.model.CreateTokenRequest;
import io.adapterplatform.api.registry.model.Role;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuthTest extends RegistryTestBase {

  @Test
  void rejectsCallsWithoutOrWithAnUnknownTokenWith401() throws Exception {
    var p =
        problem(
            401, () -> new AdaptersApi(client(null)).listAdapters(null, null, null, null, null));
    assertThat(p.getType().toString()).endsWith("/unauthorized");

    problem(
        401,
        () ->
            new AdaptersApi(client("apt_not-a-token")).listAdapters(null, null, null, null, null));
  }

  @Test
  void issuesATokenOnceAndStoresOnlyItsHash() throws Exception {
    var issued =
        new TokensApi(admin())
            .createToken(
                new CreateTokenRequest().name("reader-" + unique()).roles(List.of(Role.READER)));

    assertThat(issued.getToken()).startsWith("apt_").hasSizeGreaterThan(40);
    assertThat(issued.getRoles()).containsExactly(Role.READER);
    assertThat(
            new AdaptersApi(client(issued.getToken()))
                .listAdapters(null, null, null, null, null)
                .getItems())
        .isNotNull();
  }

  @Test
  void aReaderCannotWriteAndOnlyAnAdminReadsTheAuditLog() throws Exception {
    ensureBaseModel();
    String reader = tokenWith(Role.READER);
    String publisher = tokenWith(Role.PUBLISHER);

    var p =
        problem(
            403,
            () ->
                new AdaptersApi(client(reader))
                    .createAdapter(
                        new CreateAdapterRequest().name("x-" + unique()).baseModel(BASE)));
    assertThat(p.getType().toString()).endsWith("/forbidden");
    problem(403, () -> new AuditApi(client(publisher)).listAudit(null, null));
    problem(
        403,
        () ->
            new TokensApi(client(publisher))
                .createToken(new CreateTokenRequest().name("x").roles(List.of(Role.ADMIN))));
    assertThat(
            new AdaptersApi(client(publisher))
                .createAdapter(new CreateAdapterRequest().name("p-" + unique()).baseModel(BASE))
                .getName())
        .startsWith("p-");
  }

  @Test
  void aRevokedTokenIsRejected() throws Exception {
    var tokens = new TokensApi(admin());
    var issued =
        tokens.createToken(
            new CreateTokenRequest().name("gone-" + unique()).roles(List.of(Role.READER)));

    tokens.revokeToken(issued.getId());

    problem(
        401,
        () ->
            new AdaptersApi(client(issued.getToken())).listAdapters(null, null, null, null, null));
    problem(404, () -> tokens.revokeToken(issued.getId()));
  }

  @Test
  void rejectsATokenRequestWithoutRolesOrWithABadName() throws Exception {
    var tokens = new TokensApi(admin());

    var p =
        problem(
            400,
            () -> tokens.createToken(new CreateTokenRequest().name("ok-name").roles(List.of())));
    assertThat(p.getErrors()).anySatisfy(e -> assertThat(e.getField()).isEqualTo("roles"));
    problem(
        400,
        () ->
            tokens.createToken(
                new CreateTokenRequest().name("Bad Name").roles(List.of(Role.READER))));
  }

  @Test
  void everyWriteIsAudited() throws Exception {
    String name = newAdapter();

    var page = audit().listAudit(50, null);

    assertThat(page.getItems())
        .anySatisfy(
            e -> {
              assertThat(e.getAction()).isEqualTo("adapter.create");
              assertThat(e.getTarget()).isEqualTo("adapter/" + name);
              assertThat(e.getActor()).contains("bootstrap-admin");
            });
  }
}
