package io.adapterplatform.serving.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.adapterplatform.api.registry.client.AliasesApi;
import io.adapterplatform.api.registry.client.VersionsApi;
import io.adapterplatform.api.registry.model.MoveAliasRequest;
import io.adapterplatform.api.registry.model.Role;
import io.adapterplatform.engine.format.AdapterKind;
import io.adapterplatform.engine.format.Projection;
import io.adapterplatform.engine.testing.TinyModels;
import io.adapterplatform.serving.ServingTestBase;
import io.adapterplatform.web.problem.ApiException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

class ModelResolverTest extends ServingTestBase {

  @Autowired ModelResolver resolver;

  @Test
  void aBaseModelNameResolvesToTheBareBaseModel() throws Exception {
    ensureBaseModel();

    assertThat(resolver.resolve(BASE, ADMIN)).isEqualTo(new ResolvedModel.Base(BASE));
  }

  @Test
  void anAdapterAloneIsItsLatestVersionAndVersionsAndAliasesPickOne() throws Exception {
    String name = newAdapter("names-");
    var v1 = publish(name, lora(1));
    var v2 = publish(name, lora(2));
    new AliasesApi(client(ADMIN)).moveAlias(name, "production", new MoveAliasRequest().version(1));

    var latest = (ResolvedAdapter) resolver.resolve(name, ADMIN);
    var first = (ResolvedAdapter) resolver.resolve(name + "@1", ADMIN);
    var aliased = (ResolvedAdapter) resolver.resolve(name + "@production", ADMIN);

    assertThat(latest.key()).isEqualTo(new AdapterKey(name, 2));
    assertThat(latest.baseModel()).isEqualTo(BASE);
    assertThat(latest.kind()).isEqualTo(AdapterKind.LORA);
    assertThat(latest.rank()).isEqualTo(4);
    assertThat(latest.files())
        .extracting(StoredFile::name, StoredFile::sha256)
        .containsExactlyInAnyOrderElementsOf(
            v2.version().getFiles().stream()
                .map(f -> org.assertj.core.groups.Tuple.tuple(f.getName(), f.getSha256()))
                .toList());
    assertThat(first.key().version()).isEqualTo(v1.version().getVersion());
    assertThat(aliased.key()).isEqualTo(new AdapterKey(name, 1));
  }

  @Test
  void aMovedAliasIsFollowedByTheNextResolution() throws Exception {
    String name = newAdapter("move-");
    publish(name, lora(3));
    publish(name, lora(4));
    var aliases = new AliasesApi(client(ADMIN));
    aliases.moveAlias(name, "canary", new MoveAliasRequest().version(1));
    var before = (ResolvedAdapter) resolver.resolve(name + "@canary", ADMIN);

    aliases.moveAlias(name, "canary", new MoveAliasRequest().version(2));

    assertThat(before.key().version()).isEqualTo(1);
    assertThat(((ResolvedAdapter) resolver.resolve(name + "@canary", ADMIN)).key().version())
        .isEqualTo(2);
  }

  @Test
  void unknownDeletedAndOutOfScopeModelsAreNotFound() throws Exception {
    String name = newAdapter("scoped-");
    publish(name, lora(5));
    publish(name, lora(6));
    new VersionsApi(client(ADMIN)).deleteVersion(name, "2");
    String inScope = tokenWith(List.of("scoped-"), Role.READER);
    String outOfScope = tokenWith(List.of("other-team-"), Role.READER);

    assertThat(((ResolvedAdapter) resolver.resolve(name, inScope)).key().version()).isEqualTo(1);
    assertNotFound(() -> resolver.resolve(name, outOfScope));
    assertNotFound(() -> resolver.resolve(name + "@1", outOfScope));
    assertNotFound(() -> resolver.resolve(name + "@2", ADMIN));
    assertNotFound(() -> resolver.resolve(name + "@nosuchalias", ADMIN));
    assertNotFound(() -> resolver.resolve("no-such-model-" + unique(), ADMIN));
  }

  @Test
  void aRefusedTokenIsUnauthorized() {
    assertThatThrownBy(() -> resolver.resolve("whatever", "not-a-token-0123456789abcdef0123"))
        .isInstanceOfSatisfying(
            ApiException.class, e -> assertThat(e.status().value()).isEqualTo(401));
  }

  private static void assertNotFound(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.status().value()).isEqualTo(404);
              assertThat(e.slug()).isEqualTo("not-found");
            });
  }

  static io.adapterplatform.engine.adapter.Lora lora(long seed) {
    return TinyModels.randomLora(DIMS, 4, 8.0, false, Set.of(Projection.Q, Projection.V), seed);
  }
}
