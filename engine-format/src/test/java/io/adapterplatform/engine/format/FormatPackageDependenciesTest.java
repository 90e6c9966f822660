package io.adapterplatform.engine.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The registry validates uploads with this package without loading libtorch: it may import only the
 * JDK and Gson. The module's pom has no other dependency, so anything else would not compile; this
 * test names the rule where a reader looks for it, and catches fully qualified names of the engine
 * in comments or strings.
 */
class FormatPackageDependenciesTest {

  @Test
  void importsOnlyTheJdkAndGson() throws IOException {
    Path dir = Path.of("src/main/java/io/adapterplatform/engine/format");
    List<String> offending;
    try (Stream<Path> files = Files.list(dir)) {
      offending =
          files
              .filter(f -> f.toString().endsWith(".java"))
              .flatMap(
                  f -> {
                    try {
                      return Files.readAllLines(f).stream()
                          .filter(l -> l.startsWith("import "))
                          .filter(
                              l ->
                                  !l.matches("import (static )?(java\\.|com\\.google\\.gson\\.).*"))
                          .map(l -> f.getFileName() + ": " + l);
                    } catch (IOException e) {
                      throw new UncheckedIOException(e);
                    }
                  })
              .toList();
    }

    assertThat(offending).isEmpty();
    // Fully qualified references would slip past the import check.
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(
              files
                  .filter(
                      f -> {
                        try {
                          return Files.readString(f).contains("ai.djl")
                              || Files.readString(f).contains("engine.model");
                        } catch (IOException e) {
                          throw new UncheckedIOException(e);
                        }
                      })
                  .toList())
          .isEmpty();
    }
  }
}
