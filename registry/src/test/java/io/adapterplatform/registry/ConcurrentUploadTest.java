package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.adapterplatform.api.registry.model.AdapterVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ConcurrentUploadTest extends RegistryTestBase {

  @Test
  void twentyFourConcurrentUploadsGetNumbersOneToTwentyFourWithoutGapsOrDuplicates()
      throws Exception {
    String name = newAdapter();
    int n = 24;
    var start = new CountDownLatch(1);
    List<Future<AdapterVersion>> results = new ArrayList<>();

    try (var pool = Executors.newFixedThreadPool(n)) {
      for (int i = 0; i < n; i++) {
        long seed = i;
        var files = loraFiles(4, List.of("q_proj", "v_proj"), false, seed);
        Callable<AdapterVersion> upload =
            () -> {
              start.await();
              return versions().publishVersion(name, files, null);
            };
        results.add(pool.submit(upload));
      }
      start.countDown();
      var numbers = new ArrayList<Integer>();
      for (var r : results) {
        numbers.add(r.get().getVersion());
      }

      assertThat(numbers)
          .containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, n).boxed().toList());
    }
    assertThat(versions().listVersions(name, 100, null, null).getItems())
        .extracting(AdapterVersion::getVersion)
        .containsExactlyElementsOf(IntStream.rangeClosed(1, n).boxed().toList());
  }
}
