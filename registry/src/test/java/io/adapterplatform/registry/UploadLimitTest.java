package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.client.BaseModelsApi;
import io.adapterplatform.embedded.PlatformBackends;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * A second context (same backends) with a tiny per-file limit: a file over it is a 413, nothing is
 * kept.
 */
@SpringBootTest(
    classes = RegistryApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.config.name=application,registry",
      "platform.auth.admin-token=" + RegistryTestBase.ADMIN,
      "platform.registry.max-file-size=64KB"
    })
@PlatformBackends
class UploadLimitTest extends RegistryTestBase {

  @Test
  void aFileOverTheLimitIs413AndNothingIsStored() throws Exception {
    var d = dir();
    String name = "limit-" + unique();
    var api = new BaseModelsApi(admin());

    var p =
        problem(
            413,
            () ->
                api.uploadBaseModel(
                    name,
                    List.of(
                        Fixtures.write(d, "config.json", Fixtures.modelConfig()).toFile(),
                        Fixtures.write(d, "model.safetensors", Fixtures.modelWeights(4)).toFile(),
                        Fixtures.write(d, "tokenizer.model", new byte[100 * 1024]).toFile())));

    assertThat(p.getType().toString()).endsWith("/too-large");
    problem(404, () -> api.getBaseModel(name));
  }
}
