package io.adapterplatform.training;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.training.registry.WorkerRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The worker's base model cache: files it checked are trusted only while they stay as they were.
 */
class WorkerRegistryTest extends WorkerTestBase {

  @Autowired WorkerRegistry registry;

  @Test
  void aCachedBaseModelFileChangedSinceItWasCheckedIsFetchedAgain() throws Exception {
    ensureTrainableBase();
    Path dir = Files.createTempDirectory("worker-models-");
    var first = registry.baseModel(TRAINABLE, dir);
    Path weights = dir.resolve("model.safetensors");
    byte[] good = Files.readAllBytes(weights);
    byte[] bad = good.clone();
    bad[bad.length - 1] ^= 1;

    Files.write(weights, bad);
    Files.setLastModifiedTime(weights, FileTime.from(Instant.now().plusSeconds(60)));
    var second = registry.baseModel(TRAINABLE, dir);

    assertThat(Files.readAllBytes(weights)).isEqualTo(good);
    assertThat(second.sha256()).isEqualTo(first.sha256());
    assertThat(Files.readAllBytes(dir.resolve("config.json")))
        .isEqualTo(Files.readAllBytes(trainableDir.resolve("config.json")));
  }
}
