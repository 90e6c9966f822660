package io.adapterplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The registry validates uploads with the pure-Java {@code engine-format} module only: DJL, the libtorch JNI and
 * natives, the tokenizer's native library and the engine itself stay off its classpath (hundreds of MB, and
 * native code it never runs). A dependency that brings any of them back fails here.
 */
class NoEngineOnClasspathTest {

  @Test
  void carriesTheFormatsButNoDjlNativesOrEngine() {
    assertThat(loadable("io.adapterplatform.engine.format.AdapterConfig")).isTrue();

    List<String> absent = List.of(
        "ai.djl.ndarray.NDArray",
        "ai.djl.pytorch.engine.PtEngine",
        "ai.djl.pytorch.jni.LibUtils",
        "ai.djl.huggingface.tokenizers.HuggingFaceTokenizer",
        "io.adapterplatform.engine.model.BaseModel");
    assertThat(absent).noneMatch(NoEngineOnClasspathTest::loadable);
    ClassLoader loader = getClass().getClassLoader();
    assertThat(loader.getResource("pytorch/cpu/linux-x86_64/libtorch_cpu.so")).isNull();
    assertThat(loader.getResource("native/lib/tokenizers.properties")).isNull();
  }

  private static boolean loadable(String className) {
    try {
      Class.forName(className, false, NoEngineOnClasspathTest.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}
