package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The registry validates uploads with the pure-Java {@code engine-format} module only: DJL, the
 * libtorch JNI and natives, the tokenizer's native library and the engine itself stay off its
 * runtime classpath (hundreds of MB, and native code it never runs). A dependency that brings any
 * of them back fails here. The classpath checked is the one the build resolved for runtime ({@code
 * target/runtime-classpath.txt}): the tests themselves may use the engine (UploadFuzzTest scores
 * accepted adapters with it).
 */
class NoEngineOnClasspathTest {

  @Test
  void shipsTheFormatsButNoDjlNativesOrEngine() throws IOException {
    List<String> entries =
        Arrays.asList(
            Files.readString(Path.of("target/runtime-classpath.txt"))
                .strip()
                .split(File.pathSeparator));

    assertThat(entries).anyMatch(e -> e.contains("engine-format"));
    assertThat(entries)
        .as("runtime classpath")
        .noneMatch(e -> e.contains("/ai/djl/"))
        .noneMatch(e -> e.contains("pytorch") || e.contains("tokenizers"))
        .noneMatch(e -> e.matches(".*/engine(-[0-9][^/]*\\.jar|/target/classes)$"));
  }
}
