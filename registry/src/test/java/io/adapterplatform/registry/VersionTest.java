package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.model.AdapterKind;
import io.adapterplatform.api.registry.model.AdapterVersion;
import io.adapterplatform.api.registry.model.MoveAliasRequest;
import java.io.File;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class VersionTest extends RegistryTestBase {

  @Test
  void publishesLoraAndDoraVersionsNumberedFromOne() throws Exception {
    String name = newAdapter();

    var v1 = publishLora(name, 1);
    var v2 =
        versions()
            .publishVersion(
                name, loraFiles(4, List.of("q_proj", "v_proj", "down_proj"), true, 2), null);

    assertThat(v1.getVersion()).isEqualTo(1);
    assertThat(v1.getKind()).isEqualTo(AdapterKind.LORA);
    assertThat(v1.getAdapter()).isEqualTo(name);
    assertThat(v1.getRank()).isEqualTo(4);
    assertThat(v1.getFiles())
        .extracting(f -> f.getName())
        .containsExactlyInAnyOrder("adapter_config.json", "adapter_model.safetensors");
    assertThat(v2.getVersion()).isEqualTo(2);
    assertThat(v2.getKind()).isEqualTo(AdapterKind.DORA);
    assertThat(adapters().getAdapter(name).getLatestVersion()).isEqualTo(2);
    assertThat(versions().listVersions(name, null, null, null).getItems())
        .extracting(AdapterVersion::getVersion)
        .containsExactly(1, 2);
  }

  @Test
  void rejectsAdaptersThatDisagreeWithTheirConfigOrTheBaseModel() throws Exception {
    String name = newAdapter();
    Path d = dir();
    List<String> qv = List.of("q_proj", "v_proj");
    File config =
        Fixtures.write(d, "adapter_config.json", Fixtures.loraConfig(8, qv, false)).toFile();
    File weights =
        Fixtures.write(d, "adapter_model.safetensors", Fixtures.loraWeights(4, qv, false, 1))
            .toFile();

    // rank 8 in the config, 4 in the tensors
    problem(422, () -> versions().publishVersion(name, List.of(config, weights), null));
    // a target module the base architecture does not have
    Path d2 = dir();
    File cfg2 =
        Fixtures.write(
                d2,
                "adapter_config.json",
                Fixtures.loraConfig(4, List.of("q_proj", "w_proj"), false))
            .toFile();
    problem(422, () -> versions().publishVersion(name, List.of(cfg2, weights), null));
    // malformed config JSON
    File cfg3 = Fixtures.write(dir(), "adapter_config.json", "{\"peft_type\": ").toFile();
    problem(400, () -> versions().publishVersion(name, List.of(cfg3, weights), null));
    // weights missing
    problem(400, () -> versions().publishVersion(name, List.of(config), null));
    // truncated safetensors: the file is shorter than its header says
    byte[] full = Fixtures.loraWeights(4, qv, false, 1);
    File truncated =
        Fixtures.write(
                dir(), "adapter_model.safetensors", java.util.Arrays.copyOf(full, full.length - 3))
            .toFile();
    File okConfig =
        Fixtures.write(dir(), "adapter_config.json", Fixtures.loraConfig(4, qv, false)).toFile();
    problem(400, () -> versions().publishVersion(name, List.of(okConfig, truncated), null));
    // a NaN in the weights
    byte[] nan = Fixtures.loraWeights(4, qv, false, 1);
    nan[nan.length - 2] = (byte) 0xC0;
    nan[nan.length - 1] = (byte) 0x7F;
    File withNan = Fixtures.write(dir(), "adapter_model.safetensors", nan).toFile();
    var p = problem(422, () -> versions().publishVersion(name, List.of(okConfig, withNan), null));
    assertThat(p.getErrors()).anySatisfy(e -> assertThat(e.getMessage()).contains("non-finite"));
    // an unknown adapter
    problem(
        404, () -> versions().publishVersion("no-such-adapter", loraFiles(4, qv, false, 1), null));
    // nothing was written by any of these
    assertThat(versions().listVersions(name, null, null, null).getItems()).isEmpty();
  }

  @Test
  void aliasesMoveWithHistoryAndResolveAsReferences() throws Exception {
    String name = newAdapter();
    publishLora(name, 1);
    publishLora(name, 2);

    aliases().moveAlias(name, "production", new MoveAliasRequest().version(1));
    var moved = aliases().moveAlias(name, "production", new MoveAliasRequest().version(2));

    assertThat(moved.getVersion()).isEqualTo(2);
    assertThat(moved.getHistory()).extracting(m -> m.getVersion()).containsExactly(2, 1);
    assertThat(moved.getHistory().getFirst().getPreviousVersion()).isEqualTo(1);
    assertThat(versions().getVersion(name, "production").getVersion()).isEqualTo(2);
    assertThat(versions().getVersion(name, "2").getAliases()).containsExactly("production");
    assertThat(aliases().listAliases(name))
        .extracting(a -> a.getAlias())
        .containsExactly("production");
    problem(404, () -> aliases().moveAlias(name, "canary", new MoveAliasRequest().version(9)));
    problem(400, () -> aliases().moveAlias(name, "Bad Alias", new MoveAliasRequest().version(1)));
    problem(404, () -> versions().getVersion(name, "staging"));

    aliases().deleteAlias(name, "production");

    problem(404, () -> versions().getVersion(name, "production"));
    problem(404, () -> aliases().deleteAlias(name, "production"));
  }

  @Test
  void deletesAVersionOnlyWhenNothingRefersToItAndNeverReusesItsNumber() throws Exception {
    String name = newAdapter();
    publishLora(name, 1);
    publishLora(name, 2);
    aliases().moveAlias(name, "production", new MoveAliasRequest().version(2));

    var inUse = problem(409, () -> versions().deleteVersion(name, "2"));
    versions().deleteVersion(name, "1");
    aliases().deleteAlias(name, "production");
    versions().deleteVersion(name, "2");
    var v3 = publishLora(name, 3);

    assertThat(inUse.getType().toString()).endsWith("/version-in-use");
    assertThat(v3.getVersion()).isEqualTo(3);
    problem(410, () -> versions().getVersion(name, "1"));
    problem(410, () -> versions().deleteVersion(name, "1"));
    problem(
        410, () -> versions().downloadVersionFile(name, "2", "adapter_config.json", null, null));
    problem(410, () -> aliases().moveAlias(name, "production", new MoveAliasRequest().version(1)));
    problem(404, () -> versions().getVersion(name, "7"));
    assertThat(versions().listVersions(name, null, null, null).getItems())
        .extracting(AdapterVersion::getVersion)
        .containsExactly(3);
    assertThat(adapters().getAdapter(name).getLatestVersion()).isEqualTo(3);
  }

  @Test
  void pagesVersionsByNumber() throws Exception {
    String name = newAdapter();
    for (int i = 0; i < 5; i++) {
      publishLora(name, i);
    }

    var p1 = versions().listVersions(name, 2, null, null);
    var p2 = versions().listVersions(name, 2, p1.getNextCursor(), null);
    var p3 = versions().listVersions(name, 2, p2.getNextCursor(), null);

    assertThat(p1.getItems()).extracting(AdapterVersion::getVersion).containsExactly(1, 2);
    assertThat(p2.getItems()).extracting(AdapterVersion::getVersion).containsExactly(3, 4);
    assertThat(p3.getItems()).extracting(AdapterVersion::getVersion).containsExactly(5);
    assertThat(p3.getNextCursor()).isNull();
  }
}
