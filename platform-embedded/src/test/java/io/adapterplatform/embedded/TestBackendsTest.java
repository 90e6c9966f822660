package io.adapterplatform.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.support.GenericApplicationContext;

@ExtendWith(BackendsExtension.class)
class TestBackendsTest {

  @Test
  void theExtensionHandsEveryTestTheSameRunningBackends(BackendEndpoints endpoints)
      throws Exception {
    assertThat(endpoints).isSameAs(TestBackends.shared());
    assertThat(BackendProbes.queryStrings(endpoints, "select 'answered'"))
        .containsExactly("answered");
    BackendProbes.put(endpoints, "shared", "probe", new byte[] {1, 2, 3});
    assertThat(BackendProbes.get(endpoints, "shared", "probe")).containsExactly(1, 2, 3);
  }

  @Test
  void sweepsOnlyOldUnlockedDirectoriesLeftByKilledTestJvms(@TempDir Path tmp) throws Exception {
    var old = FileTime.from(Instant.now().minus(Duration.ofHours(1)));
    var stale = Files.createDirectories(tmp.resolve("platform-test-backends-stale"));
    Files.writeString(stale.resolve("platform.lock"), "");
    Files.createDirectories(stale.resolve("s3/bucket"));
    Files.setLastModifiedTime(stale, old);
    var young = Files.createDirectories(tmp.resolve("platform-test-backends-young"));
    var live = Files.createDirectories(tmp.resolve("platform-test-backends-live"));
    var unrelated = Files.createDirectories(tmp.resolve("something-else"));
    Files.setLastModifiedTime(unrelated, old);

    try (var channel =
            FileChannel.open(
                live.resolve("platform.lock"),
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        var lock = channel.lock()) {
      Files.setLastModifiedTime(live, old);

      assertThat(TestBackends.sweepStale(tmp, Duration.ofMinutes(10))).isEqualTo(1);
    }

    assertThat(stale).doesNotExist();
    assertThat(young).exists();
    assertThat(live).exists();
    assertThat(unrelated).exists();
  }

  @Test
  void theInitializerPutsTheEndpointsAheadOfTheApplicationsOwnProperties(
      BackendEndpoints endpoints) {
    try (var context = new GenericApplicationContext()) {
      context
          .getEnvironment()
          .getPropertySources()
          .addFirst(
              new org.springframework.core.env.MapPropertySource(
                  "application",
                  java.util.Map.of("spring.datasource.url", "jdbc:postgresql://elsewhere/db")));

      new BackendsInitializer().initialize(context);

      assertThat(context.getEnvironment().getProperty("spring.datasource.url"))
          .isEqualTo(endpoints.jdbcUrl());
      assertThat(context.getEnvironment().getProperty("spring.kafka.bootstrap-servers"))
          .isEqualTo(endpoints.kafkaBootstrapServers());
      assertThat(List.of(context.getEnvironment().getProperty("platform.s3.endpoint")))
          .containsExactly(endpoints.s3Endpoint());
    }
  }
}
