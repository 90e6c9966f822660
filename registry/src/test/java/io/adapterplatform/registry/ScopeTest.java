package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.client.AdaptersApi;
import io.adapterplatform.api.registry.client.AliasesApi;
import io.adapterplatform.api.registry.client.AuditApi;
import io.adapterplatform.api.registry.client.TokensApi;
import io.adapterplatform.api.registry.client.VersionsApi;
import io.adapterplatform.api.registry.model.Adapter;
import io.adapterplatform.api.registry.model.AuditEntry;
import io.adapterplatform.api.registry.model.CreateAdapterRequest;
import io.adapterplatform.api.registry.model.CreateTokenRequest;
import io.adapterplatform.api.registry.model.MoveAliasRequest;
import io.adapterplatform.api.registry.model.Role;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A token limited to adapter-name prefixes: outside them an adapter does not exist for it. */
class ScopeTest extends RegistryTestBase {

  private String team;
  private String inside;
  private String inside2;
  private String outside;
  private String scoped;

  @BeforeEach
  void twoTeams() throws Exception {
    ensureBaseModel();
    String u = unique();
    team = "team-a-" + u + "-";
    inside = team + "x";
    inside2 = team + "y";
    outside = "team-b-" + u + "-x";
    for (String name : List.of(inside, inside2, outside)) {
      adapters().createAdapter(new CreateAdapterRequest().name(name).baseModel(BASE));
      publishLora(name, 7);
      aliases().moveAlias(name, "production", new MoveAliasRequest().version(1));
    }
    scoped =
        tokens()
            .createToken(
                new CreateTokenRequest()
                    .name("scoped-" + u)
                    .roles(List.of(Role.PUBLISHER))
                    .scopes(List.of(team)))
            .getToken();
  }

  private TokensApi tokens() {
    return new TokensApi(admin());
  }

  @Test
  void outsideItsScopesAnAdapterAnswers404ExactlyAsAnAbsentOne() throws Exception {
    var adapters = new AdaptersApi(client(scoped));
    var versions = new VersionsApi(client(scoped));
    var aliases = new AliasesApi(client(scoped));

    var hidden = problem(404, () -> adapters.getAdapter(outside));

    String absent = "team-b-absent-" + unique();
    var missing = problem(404, () -> new AdaptersApi(admin()).getAdapter(absent));
    assertThat(hidden.getDetail()).isEqualTo(missing.getDetail().replace(absent, outside));
    assertThat(hidden.getType()).isEqualTo(missing.getType());
    problem(404, () -> versions.listVersions(outside, null, null, null));
    problem(404, () -> versions.getVersion(outside, "1"));
    problem(404, () -> versions.getVersion(outside, "production"));
    problem(
        404,
        () -> versions.downloadVersionFile(outside, "1", "adapter_model.safetensors", null, null));
    problem(
        404,
        () ->
            versions.publishVersion(
                outside, loraFiles(4, List.of("q_proj", "v_proj"), false, 8), null));
    problem(404, () -> versions.deleteVersion(outside, "1"));
    problem(404, () -> versions.listExperts(outside, "1"));
    problem(404, () -> aliases.listAliases(outside));
    problem(404, () -> aliases.getAlias(outside, "production"));
    problem(404, () -> aliases.moveAlias(outside, "canary", new MoveAliasRequest().version(1)));
    problem(404, () -> aliases.deleteAlias(outside, "production"));
    assertThat(versions().getVersion(outside, "1").getVersion())
        .as("nothing was changed")
        .isEqualTo(1);
    assertThat(aliases().getAlias(outside, "production").getVersion()).isEqualTo(1);
  }

  @Test
  void insideItsScopesEverythingWorks() throws Exception {
    var adapters = new AdaptersApi(client(scoped));
    var versions = new VersionsApi(client(scoped));
    var aliases = new AliasesApi(client(scoped));

    assertThat(adapters.getAdapter(inside).getName()).isEqualTo(inside);
    var published =
        versions.publishVersion(inside, loraFiles(4, List.of("q_proj", "v_proj"), false, 9), null);
    assertThat(published.getVersion()).isEqualTo(2);
    assertThat(versions.listVersions(inside, null, null, null).getItems()).hasSize(2);
    var file =
        versions.downloadVersionFile(inside, "production", "adapter_model.safetensors", null, null);
    assertThat(Files.size(file.toPath())).isPositive();
    assertThat(
            aliases.moveAlias(inside, "production", new MoveAliasRequest().version(2)).getVersion())
        .isEqualTo(2);
    assertThat(
            adapters
                .createAdapter(new CreateAdapterRequest().name(team + "new").baseModel(BASE))
                .getName())
        .isEqualTo(team + "new");
  }

  @Test
  void aCompositionCannotReachOutsideItsScopes() throws Exception {
    String absent = "team-b-absent-" + unique();

    var fromHidden = compose(scoped, inside, List.of(outside + "@1", inside2 + "@1"));
    var fromAbsent = compose(scoped, inside, List.of(absent + "@1", inside2 + "@1"));
    var intoHidden = compose(scoped, outside, List.of(inside + "@1", inside2 + "@1"));

    assertThat(fromHidden.statusCode()).as(fromHidden.body()).isEqualTo(422);
    assertThat(fromAbsent.statusCode()).isEqualTo(422);
    assertThat(JSON.readTree(fromHidden.body()).get("detail").asText())
        .isEqualTo(
            JSON.readTree(fromAbsent.body()).get("detail").asText().replace(absent, outside));
    assertThat(intoHidden.statusCode()).as(intoHidden.body()).isEqualTo(404);
  }

  @Test
  void aCompositionShowsNoSourceOutsideItsScopes() throws Exception {
    versions().publishVersion(inside, loraFiles(4, MixLoraTest.FFN, false, 31), null);
    versions().publishVersion(outside, loraFiles(4, MixLoraTest.FFN, false, 32), null);
    String mix = team + "mix";
    adapters().createAdapter(new CreateAdapterRequest().name(mix).baseModel(BASE));
    var composed = compose(ADMIN, mix, List.of(inside + "@2", outside + "@2"));
    assertThat(composed.statusCode()).as(composed.body()).isEqualTo(201);

    var seen = new VersionsApi(client(scoped)).getVersion(mix, "1");
    var experts = new VersionsApi(client(scoped)).listExperts(mix, "1").getExperts();

    assertThat(seen.getComposedFrom())
        .extracting(s -> s.getAdapter() + "@" + s.getVersion())
        .containsExactly(inside + "@2");
    assertThat(experts).hasSize(2);
    assertThat(experts.get(0).getSource().getAdapter()).isEqualTo(inside);
    assertThat(experts.get(1).getSource()).isNull();
    assertThat(versions().getVersion(mix, "1").getComposedFrom()).hasSize(2);
  }

  private HttpResponse<String> compose(String token, String adapter, List<String> experts)
      throws Exception {
    return compose(token, adapter, Map.of("experts", experts, "topK", 1));
  }

  @Test
  void creatingAnAdapterOutsideItsScopesIsForbidden() throws Exception {
    var p =
        problem(
            403,
            () ->
                new AdaptersApi(client(scoped))
                    .createAdapter(
                        new CreateAdapterRequest().name("team-b-" + unique()).baseModel(BASE)));

    assertThat(p.getDetail()).contains("outside the token's scopes");
  }

  @Test
  void listsShowOnlyAdaptersInsideItsScopesWithFullPages() throws Exception {
    var adapters = new AdaptersApi(client(scoped));
    var seen = new ArrayList<String>();
    String cursor = null;
    int pages = 0;
    do {
      var page = adapters.listAdapters(1, cursor, null, null, null);
      page.getItems().stream().map(Adapter::getName).forEach(seen::add);
      if (page.getNextCursor() != null) {
        assertThat(page.getItems()).as("a page before the last is full").hasSize(1);
      }
      cursor = page.getNextCursor();
      pages++;
    } while (cursor != null && pages < 20);

    assertThat(seen).containsExactly(inside, inside2);
  }

  @Test
  void aScopedAdminSeesNoAuditEntryAboutAnAdapterOutsideItsScopes() throws Exception {
    String scopedAdmin =
        tokens()
            .createToken(
                new CreateTokenRequest()
                    .name("scoped-admin-" + unique())
                    .roles(List.of(Role.ADMIN))
                    .scopes(List.of(team)))
            .getToken();

    var entries = new AuditApi(client(scopedAdmin)).listAudit(500, null).getItems();

    assertThat(entries)
        .extracting(AuditEntry::getTarget)
        .anyMatch(t -> t.startsWith("adapter/" + inside))
        .noneMatch(t -> t.startsWith("adapter/" + outside));
    assertThat(new AuditApi(admin()).listAudit(500, null).getItems())
        .extracting(AuditEntry::getTarget)
        .anyMatch(t -> t.startsWith("adapter/" + outside));
  }

  @Test
  void aScopedTokenCannotIssueATokenWithWiderScopes() throws Exception {
    var scopedAdmin =
        new TokensApi(
            client(
                tokens()
                    .createToken(
                        new CreateTokenRequest()
                            .name("scoped-admin-" + unique())
                            .roles(List.of(Role.ADMIN))
                            .scopes(List.of(team)))
                    .getToken()));

    problem(
        403,
        () ->
            scopedAdmin.createToken(
                new CreateTokenRequest().name("w1").roles(List.of(Role.READER))));
    problem(
        403,
        () ->
            scopedAdmin.createToken(
                new CreateTokenRequest()
                    .name("w2")
                    .roles(List.of(Role.READER))
                    .scopes(List.of("team-"))));
    var narrower =
        scopedAdmin.createToken(
            new CreateTokenRequest()
                .name("n1")
                .roles(List.of(Role.READER))
                .scopes(List.of(inside)));

    assertThat(narrower.getScopes()).containsExactly(inside);
    var unscoped =
        tokens()
            .createToken(
                new CreateTokenRequest().name("wide-" + unique()).roles(List.of(Role.READER)));
    var listed = new ArrayList<Long>();
    String cursor = null;
    do {
      var page = scopedAdmin.listTokens(2, cursor);
      page.getItems().forEach(t -> listed.add(t.getId()));
      cursor = page.getNextCursor();
    } while (cursor != null);
    assertThat(listed).contains(narrower.getId()).doesNotContain(unscoped.getId());
    problem(404, () -> scopedAdmin.revokeToken(unscoped.getId()));
    assertThat(new AdaptersApi(client(narrower.getToken())).getAdapter(inside).getName())
        .isEqualTo(inside);
    problem(404, () -> new AdaptersApi(client(narrower.getToken())).getAdapter(inside2));
  }
}
