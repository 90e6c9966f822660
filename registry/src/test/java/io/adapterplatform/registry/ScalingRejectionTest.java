package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The engine multiplies every LoRA delta by α/r (α/√r with rsLoRA) in fp32: a config whose scaling
 * is no finite fp32 number would make every output of the adapter infinite, so the upload is
 * refused as inconsistent.
 */
class ScalingRejectionTest extends RegistryTestBase {

  private static final List<String> QV = List.of("q_proj", "v_proj");

  @Test
  void rejectsAnAlphaWhoseScalingOverflowsFloat32With422() throws Exception {
    String name = newAdapter();

    var p = problem(422, () -> versions().publishVersion(name, files(alpha("1e308", false)), null));
    var rs = problem(422, () -> versions().publishVersion(name, files(alpha("1e39", true)), null));
    var negative =
        problem(422, () -> versions().publishVersion(name, files(alpha("-8", false)), null));
    var infinite =
        problem(400, () -> versions().publishVersion(name, files(alpha("1e309", false)), null));

    assertThat(p.getType().toString()).endsWith("/inconsistent-file");
    assertThat(p.getErrors())
        .anySatisfy(
            e -> {
              assertThat(e.getField()).isEqualTo("adapter_config.json");
              assertThat(e.getMessage())
                  .contains("lora_alpha 1.0E308 with r 4 gives a scaling α/r")
                  .contains("not a positive finite fp32 number");
            });
    assertThat(rs.getErrors()).anySatisfy(e -> assertThat(e.getMessage()).contains("scaling α/√r"));
    assertThat(negative.getErrors())
        .anySatisfy(e -> assertThat(e.getMessage()).contains("must be positive"));
    assertThat(infinite.getType().toString()).endsWith("/malformed-file");
    assertThat(versions().listVersions(name, null, null, null).getItems()).isEmpty();
    // the same files with a sane alpha are accepted
    assertThat(versions().publishVersion(name, files(alpha("8", false)), null).getVersion())
        .isEqualTo(1);
  }

  private static String alpha(String alpha, boolean rslora) {
    String config = Fixtures.loraConfig(4, QV, false);
    assertThat(config).contains("\"lora_alpha\": 8,").contains("\"use_rslora\": false");
    return config
        .replace("\"lora_alpha\": 8,", "\"lora_alpha\": " + alpha + ",")
        .replace("\"use_rslora\": false", "\"use_rslora\": " + rslora);
  }

  private static List<File> files(String config) {
    Path d = dir();
    return List.of(
        Fixtures.write(d, "adapter_config.json", config).toFile(),
        Fixtures.write(d, "adapter_model.safetensors", Fixtures.loraWeights(4, QV, false, 1))
            .toFile());
  }
}
